"""Predictive support: weekly training, daily flags, what coaches see and do, the learner's switch.

Services never commit (see ``lxp.core.unit_of_work``). The model is trained per organisation on
its own history (``lxp.risk.model``); it is used only when it beats "days since last activity"
on the held-out later weeks by ``RISK_MARGIN_POINTS``; otherwise, and below the minimum history,
the rules alone (``lxp.risk.reasons.by_rules``) decide whom to flag. Coaches see reasons and a
suggested action, never a score, and learners are never ranked.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lxp.accounts.models import Organisation, User
from lxp.assignments.models import ReportingLine
from lxp.coaching import threads
from lxp.coaching.services import coaches
from lxp.core.errors import Invalid, NotFound
from lxp.core.paging import paginate
from lxp.core.time import utcnow
from lxp.events import LEARNING_VERBS, LearningEvent
from lxp.extensions import db
from lxp.nudges import rhythm
from lxp.paths.models import Journey
from lxp.risk import history as stored
from lxp.risk import holdout
from lxp.risk import model as engine
from lxp.risk.features import HORIZON, eligible, features_at
from lxp.risk.models import ACTIONS, RiskFlag, RiskModel, RiskOptOut, RiskSettings
from lxp.risk.reasons import Reason, by_rules, from_contributions, suggested_action

RETRAIN_AFTER = timedelta(days=7)
FLAG_PROBABILITY = 0.5  # the model flags a learner whose estimate reaches this
REFLAG_AFTER = timedelta(days=7)  # a learner is flagged again at most this often
K_ANONYMITY = 5  # no aggregate of fewer people is shown


# --- training ------------------------------------------------------------------------------


def margin() -> float:
    return current_app.config["RISK_MARGIN_POINTS"] / 100


def train(organisation: Organisation, now: datetime | None = None) -> tuple[RiskModel, engine.Evaluation | None]:
    """Train and evaluate the organisation's model on its own history; store and return it
    (with the evaluation, None when there was not enough history to train)."""
    now = now or utcnow()
    histories = stored.each_history(stored.learner_ids(organisation.id), now)
    rows = engine.snapshots(histories, engine.cutoffs(now), now)
    run = RiskModel(organisation_id=organisation.id, trained_at=now)
    try:
        evaluation = _train_and_evaluate(rows, margin())
    except engine.NotEnoughHistory as missing:
        run.status, run.detail = "not_enough_history", str(missing)[:300]
        db.session.add(run)
        db.session.flush()
        return run, None
    run.status = "used" if evaluation.beats_baseline else "not_better"
    run.model, run.baseline = evaluation.model.to_json(), evaluation.baseline.to_json()
    run.evaluation = evaluation_json(evaluation)
    db.session.add(run)
    db.session.flush()
    return run, evaluation


def _train_and_evaluate(rows: list[engine.Row], margin_: float) -> engine.Evaluation:
    """``engine.train_and_evaluate``, in a fresh child process where ``RISK_TRAIN_APART`` says so
    (the scheduler's app): it imports numpy and scikit-learn, about 25 MB the long-lived scheduler
    would keep for the rest of its life after a weekly retraining. The engine is pure, so the rows
    go in and the evaluation (or ``NotEnoughHistory``) comes back whole."""
    if not current_app.config["RISK_TRAIN_APART"]:
        return engine.train_and_evaluate(rows, margin_)
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as apart:
        return apart.submit(engine.train_and_evaluate, rows, margin_).result()


def evaluation_json(evaluation: engine.Evaluation) -> dict:
    def scores(s: engine.Scores) -> dict:
        return {"auc": s.auc, "brier": s.brier, "table": [asdict(b) for b in s.table]}

    return {"training_rows": evaluation.training_rows, "held_out_rows": evaluation.held_out_rows,
            "held_out_quiet": evaluation.held_out_quiet, "held_out_from": evaluation.held_out_from.isoformat(),
            "held_out_to": evaluation.held_out_to.isoformat(), "margin": evaluation.margin,
            "model": scores(evaluation.model_scores), "baseline": scores(evaluation.baseline_scores)}  # fmt: skip


def latest_model(organisation_id: int) -> RiskModel | None:
    return db.session.execute(
        select(RiskModel).where(RiskModel.organisation_id == organisation_id)
        .order_by(RiskModel.trained_at.desc(), RiskModel.id.desc()).limit(1)
    ).scalar_one_or_none()  # fmt: skip


def retrain_due(now: datetime | None = None) -> list[RiskModel]:
    """Train every organisation whose latest model is a week old (or missing); the scheduler's weekly run."""
    now = now or utcnow()
    trained = []
    for organisation in db.session.execute(select(Organisation).order_by(Organisation.id)).scalars():
        latest = latest_model(organisation.id)
        if latest is None or now - latest.trained_at >= RETRAIN_AFTER:
            trained.append(train(organisation, now)[0])
    return trained


# --- flags ---------------------------------------------------------------------------------


def _reasons_json(reasons: list[Reason]) -> list[dict]:
    return [{"code": r.code, "values": dict(r.values)} for r in reasons]


def reasons_of(flag: RiskFlag) -> list[Reason]:
    return [Reason(r["code"], tuple(r.get("values", {}).items())) for r in flag.reasons or []]


def raise_flags(organisation: Organisation, now: datetime | None = None) -> list[RiskFlag]:
    """Flag the organisation's learners likely to go quiet (by the model in use, else the
    rules), at most once a week each; close the flags of those who came back or whose 14 days
    are over. Returns the new flags."""
    now = now or utcnow()
    follow_up(organisation.id, now)
    latest = latest_model(organisation.id)
    fitted = engine.Fitted.from_json(latest.model) if latest is not None and latest.status == "used" else None
    recent = set(db.session.execute(select(RiskFlag.learner_id).where(
        RiskFlag.organisation_id == organisation.id, RiskFlag.raised_at > now - REFLAG_AFTER)).scalars())  # fmt: skip
    # Only learners on an active journey: a paused, finished or left one has nothing to come back to.
    on_path = set(db.session.execute(select(Journey.learner_id).where(Journey.status == "active")).scalars())
    ids = [i for i in stored.learner_ids(organisation.id) if i not in recent and i in on_path]
    settings = db.session.get(RiskSettings, organisation.id)
    share = settings.holdout_share if settings is not None else 0.0
    if share > 0 and not settings.holdout_seed:  # a share set before seeds were stored
        settings.holdout_seed = holdout.new_seed()
    seed = settings.holdout_seed if settings is not None else None
    raised = []
    for learner in stored.each_history(ids, now):
        if not eligible(learner, now):
            continue
        values = features_at(learner, now)
        if fitted is not None:
            if fitted.probability(values) < FLAG_PROBABILITY:
                continue
            reasons, source = from_contributions(fitted.contributions(values), values, learner, now), "model"
        else:
            reasons, source = by_rules(values, learner, now), "rules"
        if not reasons:
            continue
        _fill_titles(reasons)
        flag = RiskFlag(organisation_id=organisation.id, learner_id=learner.learner_id, raised_at=now, source=source,
                        reasons=_reasons_json(reasons), suggested=suggested_action(reasons),
                        held_out=holdout.held_out(seed, learner.learner_id, now.date(), share))  # fmt: skip
        db.session.add(flag)
        raised.append(flag)
    db.session.flush()
    return raised


def _fill_titles(reasons: list[Reason]) -> None:
    """A failed check named by its ref (no plan to read the title from) gets the item's title."""
    from lxp.authoring.models import CourseVersion, Item

    for n, reason in enumerate(reasons):
        ref = reason.get("item")
        if reason.code != "failed_checks" or not isinstance(ref, str) or ":" not in ref:
            continue
        course_id, _, key = ref.partition(":")
        title = db.session.execute(
            select(Item.title).join(CourseVersion, CourseVersion.id == Item.version_id)
            .where(CourseVersion.course_id == int(course_id) if course_id.isdigit() else False, Item.key == key)
            .order_by(Item.id.desc()).limit(1)
        ).scalar()  # fmt: skip
        if title:
            reasons[n] = Reason(reason.code, tuple((k, title if k == "item" else v) for k, v in reason.values))


def follow_up(organisation_id: int, now: datetime) -> None:
    """Note when flagged learners came back (their first learning after the flag), and close
    flags whose learner came back or whose 14 days are over. Two queries however many flags are open."""
    is_open = (RiskFlag.organisation_id == organisation_id, RiskFlag.closed_at.is_(None))
    first_back = dict(db.session.execute(
        select(RiskFlag.id, func.min(LearningEvent.occurred_at))
        .join(LearningEvent, (LearningEvent.actor_id == RiskFlag.learner_id)
              & LearningEvent.verb.in_(LEARNING_VERBS) & (LearningEvent.occurred_at > RiskFlag.raised_at)
              & (LearningEvent.occurred_at <= now))
        .where(*is_open).group_by(RiskFlag.id)
    ).all())  # fmt: skip
    for flag in db.session.execute(select(RiskFlag).where(*is_open)).scalars():
        back = first_back.get(flag.id)
        if back is not None and back < flag.raised_at + HORIZON:
            flag.came_back_at, flag.closed_at = back, back
        elif now >= flag.raised_at + HORIZON:
            flag.closed_at = flag.raised_at + HORIZON


def refresh(now: datetime | None = None) -> None:
    """The scheduler's run: retrain where a week has passed (and renew the organisation's rhythm
    adaptive timing leans on, ``nudges.rhythm``), then raise today's flags where none were
    raised in the last day."""
    now = now or utcnow()
    retrain_due(now)
    for organisation in db.session.execute(select(Organisation).order_by(Organisation.id)).scalars():
        rhythm.refresh_due(organisation.id, now)
        last = db.session.execute(
            select(func.max(RiskFlag.raised_at)).where(RiskFlag.organisation_id == organisation.id)
        ).scalar()
        if last is None or now - last >= timedelta(days=1):
            raise_flags(organisation, now)


# --- the coach's desk --------------------------------------------------------------------


def desk_flags_query(coach: User):
    """Open flags of the learners ``coach`` coaches that reach coaches (not held out, not acted
    on), oldest first: a list to work through, not a ranking. A statement, so the desk reads a
    page of them and counts the rest."""
    coached = threads.coached_learner_ids(coach)
    return (
        select(RiskFlag).where(*_reaching_people(coach.organisation_id), RiskFlag.learner_id.in_(select(coached.c[0])))
        .order_by(RiskFlag.raised_at, RiskFlag.id).options(selectinload(RiskFlag.learner))
    )  # fmt: skip


def desk_flags(coach: User) -> list[RiskFlag]:
    """``desk_flags_query``'s flags, all of them."""
    return list(db.session.execute(desk_flags_query(coach)).scalars())


def act_on_flag(coach: User, flag_id: int, action: str):
    """The coach acts on a flag: record it and open the conversation with the learner, where
    they write the message (or the session date, or the simpler plan). Returns the thread.
    Raises ``NotFound`` (not a flag of a learner they coach), ``Invalid`` (an unknown action;
    from ``threads.open_thread``: the learner has no path)."""
    if action not in ACTIONS:
        raise Invalid(_l("Choose one of the suggested actions."), field="action")
    flag = flag_for_coach(coach, flag_id)
    thread = threads.open_thread(flag.learner, None, opened_by=coach)
    record_action(flag, coach, action)
    db.session.flush()
    return thread


def flag_for_coach(coach: User, flag_id: int) -> RiskFlag:
    """A flag ``coach`` may act on: of a learner they coach in their organisation, not held out.
    Raises ``NotFound``."""
    flag = db.session.get(RiskFlag, flag_id)
    if (flag is None or flag.organisation_id != coach.organisation_id or flag.held_out
            or not threads.is_coach_of(coach, flag.learner_id)):  # fmt: skip
        raise NotFound(_l("No such learner among the people you coach."))
    return flag


# --- the admin's page ---------------------------------------------------------------------


def _reaching_people(organisation_id: int):
    """Open flags of the organisation that reach people: not held out, not acted on, and the
    learner still has predictive support on."""
    return (RiskFlag.organisation_id == organisation_id, RiskFlag.closed_at.is_(None),
            RiskFlag.held_out.is_(False), RiskFlag.acted_at.is_(None),
            RiskFlag.learner_id.not_in(select(RiskOptOut.user_id)))  # fmt: skip


def _organisation_flags(admin: User):
    return (
        select(RiskFlag).where(*_reaching_people(admin.organisation_id)).order_by(RiskFlag.raised_at, RiskFlag.id)
        .options(selectinload(RiskFlag.learner))
    )  # fmt: skip


def organisation_flags(admin: User) -> list[RiskFlag]:
    """The open flags of the admin's organisation a coach would see (``desk_flags``), whoever
    coaches the learner or if nobody does, oldest first: a list to work through, not a ranking."""
    return list(db.session.execute(_organisation_flags(admin)).scalars())


FLAGS_PER_PAGE = 20


def organisation_flags_page(admin: User, page: int | None):
    """A page (``FLAGS_PER_PAGE``) of ``organisation_flags``: each flag brings three forms, and a
    large organisation may have hundreds open."""
    return paginate(_organisation_flags(admin), page, FLAGS_PER_PAGE)


def coaches_of(flags: list[RiskFlag]) -> dict[int, User | None]:
    """Per flag id, the learner's coach (None: nobody coaches them), ``coach_of``'s rule for all
    of them in one statement."""
    learner_ids = {flag.learner_id for flag in flags}
    if not learner_ids:
        return {}
    pairs = coaches()
    coach = dict(db.session.execute(
        select(pairs.c.learner_id, User).join(User, User.id == pairs.c.coach_id)
        .where(pairs.c.learner_id.in_(learner_ids))
    ).all())  # fmt: skip
    return {flag.id: coach.get(flag.learner_id) for flag in flags}


def flag_for_admin(admin: User, flag_id: int) -> RiskFlag:
    """A flag the admin may act on: open, of their organisation, not held out, not acted on yet,
    of a learner with predictive support on. Raises ``NotFound``."""
    flag = db.session.execute(
        select(RiskFlag).where(RiskFlag.id == flag_id, *_reaching_people(admin.organisation_id))
    ).scalar_one_or_none()  # fmt: skip
    if flag is None or not admin.has_role("admin"):
        raise NotFound(_l("No such learner among those who may need support."))
    return flag


def record_action(flag: RiskFlag, coach: User, action: str) -> None:
    """Note the first action on the flag (who, when, what); a later one leaves it as it was."""
    if flag.acted_at is None:
        flag.acted_at, flag.acted_by_id, flag.action = utcnow(), coach.id, action


def recent_actions(coach: User, days: int = 30) -> list[RiskFlag]:
    """The flags ``coach`` acted on in the last ``days`` days, newest first, each showing
    whether the learner came back (``came_back_at``)."""
    return list(db.session.execute(
        select(RiskFlag).where(RiskFlag.acted_by_id == coach.id, RiskFlag.acted_at >= utcnow() - timedelta(days=days))
        .order_by(RiskFlag.acted_at.desc())
    ).scalars())  # fmt: skip


def follow_through(organisation_id: int) -> dict[str, dict[str, int] | None]:
    """Closed flags by what happened: acted on, not acted on (reached coaches), held out; each
    with how many and how many came back within 14 days. A group of fewer than ``K_ANONYMITY``
    learners is None (not shown)."""
    groups = {"acted": RiskFlag.acted_at.is_not(None),
              "not_acted": RiskFlag.acted_at.is_(None) & RiskFlag.held_out.is_(False),
              "held_out": RiskFlag.held_out.is_(True)}  # fmt: skip
    figures: dict[str, dict[str, int] | None] = {}
    for name, condition in groups.items():
        flags, learners, back = db.session.execute(
            select(func.count(), func.count(func.distinct(RiskFlag.learner_id)), func.count(RiskFlag.came_back_at))
            .where(RiskFlag.organisation_id == organisation_id, RiskFlag.closed_at.is_not(None), condition)
        ).one()  # fmt: skip
        figures[name] = {"flags": flags, "came_back": back} if learners >= K_ANONYMITY else None
    return figures


def holdout_comparison(organisation_id: int) -> holdout.Comparison:
    """Closed flags a coach acted on against closed held-out flags: how many came back within
    14 days, with what may honestly be said of the difference (``holdout.compare``)."""
    sides = {}
    for name, condition in (("helped", RiskFlag.acted_at.is_not(None)), ("held_out", RiskFlag.held_out.is_(True))):
        flags, learners, back = db.session.execute(
            select(func.count(), func.count(func.distinct(RiskFlag.learner_id)), func.count(RiskFlag.came_back_at))
            .where(RiskFlag.organisation_id == organisation_id, RiskFlag.closed_at.is_not(None), condition)
        ).one()  # fmt: skip
        sides[name] = holdout.Side(int(flags), int(learners), int(back))
    return holdout.compare(sides["helped"], sides["held_out"])


def flags_of(organisation_id: int) -> list[RiskFlag]:
    """Every flag of the organisation, oldest first (for the analyst's holdout check)."""
    return list(db.session.execute(
        select(RiskFlag).where(RiskFlag.organisation_id == organisation_id).order_by(RiskFlag.raised_at, RiskFlag.id)
    ).scalars())  # fmt: skip


def holdout_seed(organisation_id: int) -> str | None:
    """The seed that draws the organisation's held-out flags (None until a holdout is set)."""
    settings = db.session.get(RiskSettings, organisation_id)
    return settings.holdout_seed if settings is not None else None


def holdout_percent(organisation_id: int) -> int:
    settings = db.session.get(RiskSettings, organisation_id)
    return round((settings.holdout_share if settings is not None else 0.0) * 100)


def set_holdout(admin: User, percent: int) -> None:
    """The share of new flags held out from coaches (0-30 %). Raises ``Invalid`` outside that range."""
    if not 0 <= percent <= 30:
        raise Invalid(_l("Hold out between 0 and 30 percent."), field="holdout_percent")
    settings = db.session.get(RiskSettings, admin.organisation_id)
    if settings is None:
        settings = RiskSettings(organisation_id=admin.organisation_id)
        db.session.add(settings)
    settings.holdout_share = percent / 100
    if percent and not settings.holdout_seed:
        settings.holdout_seed = holdout.new_seed()
    db.session.flush()


# --- what a manager sees -------------------------------------------------------------------


def may_need_support(manager: User) -> set[int]:
    """Those of the manager's direct reports with an open flag whom the manager may be told of:
    the learner has predictive support on and chose to let their manager know
    (``ReportingLine.share_support``). Flags held out from coaches stay hidden here too (they
    measure whether acting helps), and no reason or score is given: only that support may help."""
    return set(db.session.scalars(
        select(RiskFlag.learner_id).join(ReportingLine, ReportingLine.user_id == RiskFlag.learner_id)
        .where(ReportingLine.manager_id == manager.id, ReportingLine.share_support.is_(True),
               RiskFlag.organisation_id == manager.organisation_id, RiskFlag.closed_at.is_(None),
               RiskFlag.held_out.is_(False), RiskFlag.learner_id.not_in(select(RiskOptOut.user_id)))
    ))  # fmt: skip


# --- the learner's switch ------------------------------------------------------------------


def is_on_for(learner: User) -> bool:
    return db.session.get(RiskOptOut, learner.id) is None


def set_support(learner: User, on: bool) -> None:
    """Turn predictive support on or off for the learner. Off: no features are computed for
    them and their open flags are closed at once; on again: from the next daily run."""
    opt_out = db.session.get(RiskOptOut, learner.id)
    if on and opt_out is not None:
        db.session.delete(opt_out)
    elif not on and opt_out is None:
        db.session.add(RiskOptOut(user_id=learner.id))
        now = utcnow()
        for flag in db.session.execute(
            select(RiskFlag).where(RiskFlag.learner_id == learner.id, RiskFlag.closed_at.is_(None))
        ).scalars():
            flag.closed_at = now
    db.session.flush()


def manager_of(learner: User) -> ReportingLine | None:
    """The learner's reporting line, for the switch that lets their manager know."""
    return db.session.get(ReportingLine, learner.id)


def set_manager_told(learner: User, on: bool) -> None:
    """Whether the learner's manager sees on My team that they may need support (only while
    predictive support is on for them). Raises ``NotFound`` when they have no manager."""
    line = manager_of(learner)
    if line is None:
        raise NotFound(_l("You have no manager in lxp."))
    line.share_support = on
    db.session.flush()
