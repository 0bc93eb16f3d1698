"""Extensions, created unbound here and bound to an app in ``create_app``.

``limiter`` guards requests only: it is made on first use (``__getattr__``), so the scheduler's
app, which serves no requests, never loads Flask-Limiter and its storage library ``limits``
(about 2 MB and 66 modules; issue 20). ``from lxp.extensions import limiter`` works as before.
"""

from typing import Any

from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints, so Alembic can drop and alter them on SQLite and PostgreSQL alike.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def __getattr__(name: str) -> Any:
    """``limiter``, made once, the first time it is asked for (a module's ``__getattr__`` is
    called only for names the module does not have yet)."""
    if name != "limiter":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    limiter = globals()["limiter"] = Limiter(key_func=get_remote_address)
    return limiter
