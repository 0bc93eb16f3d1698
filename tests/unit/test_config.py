"""Settings from LXP_* variables."""

import pytest

from config import Config


def test_defaults_are_safe_for_development():
    settings = Config.from_env({})
    assert settings["LXP_ENV"] == "development" and settings["SECRET_KEY"] is None
    assert settings["HTTPS"] is False and settings["RATELIMIT_STORAGE_URI"] == "memory://"


def test_variables_override_defaults():
    settings = Config.from_env(
        {
            "LXP_DATABASE_URL": "postgresql+psycopg://db/lxp",
            "LXP_HTTPS": "yes",
            "LXP_SMTP_PORT": "2525",
            "LXP_MAX_UPLOAD_MB": "5",
        }
    )
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db/lxp"
    assert settings["HTTPS"] is True and settings["SMTP_PORT"] == 2525
    assert settings["MAX_CONTENT_LENGTH"] == 5 * 1024 * 1024


def test_prepared_statements_are_on_unless_turned_off():
    assert Config.from_env({})["DB_PREPARED_STATEMENTS"] is True
    assert Config.from_env({"LXP_DB_PREPARED_STATEMENTS": "false"})["DB_PREPARED_STATEMENTS"] is False


@pytest.mark.parametrize(
    ("name", "value"),
    [("LXP_SMTP_PORT", "twenty-five"), ("LXP_HTTPS", "maybe"), ("LXP_DB_PREPARED_STATEMENTS", "sometimes")],
)
def test_unreadable_values_name_the_variable(name, value):
    with pytest.raises(ValueError, match=name):
        Config.from_env({name: value})


def test_the_scheduler_is_off_unless_asked_to_run_inline():
    assert Config.from_env({})["SCHEDULER"] == "off"
    assert Config.from_env({"LXP_SCHEDULER": "inline"})["SCHEDULER"] == "inline"
    with pytest.raises(ValueError, match="LXP_SCHEDULER"):
        Config.from_env({"LXP_SCHEDULER": "sometimes"})


def test_the_number_of_workers_comes_from_lxp_workers_or_web_concurrency():
    assert Config.from_env({})["WORKERS"] == 1
    assert Config.from_env({"WEB_CONCURRENCY": "4"})["WORKERS"] == 4
    assert Config.from_env({"WEB_CONCURRENCY": "4", "LXP_WORKERS": "2"})["WORKERS"] == 2


def test_production_with_several_workers_refuses_rate_limits_in_memory(tmp_path):
    from lxp import create_app

    settings = {"LXP_ENV": "production", "SECRET_KEY": "x" * 40, "INSTANCE_PATH": str(tmp_path),
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'lxp.db'}"}  # fmt: skip
    with pytest.raises(RuntimeError, match=r"memory:// but 3 workers .* use redis://"):
        create_app({**settings, "WORKERS": 3, "RATELIMIT_STORAGE_URI": "memory://"})
    env = {"LXP_ENV": "production", "LXP_SECRET_KEY": "x" * 40, "WEB_CONCURRENCY": "2"}
    with pytest.raises(RuntimeError, match="memory://"):
        create_app({**Config.from_env(env), "INSTANCE_PATH": str(tmp_path)})


def test_the_virus_scanner_is_a_unix_socket_or_a_tcp_address_and_anything_else_names_the_variable():
    from config import clamd_address

    assert Config.from_env({})["CLAMD"] is None and Config.from_env({})["CLAMD_REQUIRED"] is True
    settings = Config.from_env({"LXP_CLAMD": "tcp://clamav:3310", "LXP_CLAMD_REQUIRED": "no", "LXP_CLAMD_TIMEOUT": "5"})
    assert (settings["CLAMD"], settings["CLAMD_REQUIRED"], settings["CLAMD_TIMEOUT"]) == ("tcp://clamav:3310", False, 5)
    assert clamd_address("unix:/run/clamav/clamd.ctl") == ("unix", "/run/clamav/clamd.ctl")
    assert clamd_address("unix:///run/clamav/clamd.ctl") == ("unix", "/run/clamav/clamd.ctl")
    assert clamd_address("/run/clamav/clamd.ctl") == ("unix", "/run/clamav/clamd.ctl")
    assert clamd_address("clamav:3310") == ("tcp", ("clamav", 3310))
    for wrong in ("clamav", "tcp://clamav", "clamav:99999", "http://clamav:3310/"):
        with pytest.raises(ValueError, match="LXP_CLAMD"):
            Config.from_env({"LXP_CLAMD": wrong})
    with pytest.raises(ValueError, match="LXP_CLAMD_TIMEOUT"):
        Config.from_env({"LXP_CLAMD_TIMEOUT": "0"})
