"""The review console's routes: server-rendered HTML over Powertools' HTTP API resolver.

Every page is plain HTML and CSS (no JavaScript); every action is a form POST answered with a
redirect to the page it changed (so a reload never repeats it) or, when refused, the same page with
the reason in words. Reviewers review incidents; only admins change accounts and the kill switch.

    app = build_console_app(desk, accounts, time_zone("Europe/London"))
    app.resolve(event, context)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlparse

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from takedown.clock import Clock, utc_now
from takedown.console.accounts import AccountAdmin, AccountChangeError, TrustKind
from takedown.console.identity import NotSignedInError, Reviewer, reviewer_from_event
from takedown.console.review import SINCE_CHOICES, QueueFilters, ReviewDesk, ReviewError
from takedown.incidents.model import Incident, IncidentStatus
from takedown.readable import ago, duration, local_time

BASE_PATH = "/console"
_HTML = "text/html; charset=utf-8"
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # never to X or other sites; our own forms keep their Origin
    "Cache-Control": "no-store",
}
STATUS_LABELS = {
    IncidentStatus.DETECTED: "Detected, undo pending",
    IncidentStatus.UNDONE: "Undone on X",
    IncidentStatus.UNDO_FAILED: "Undo failed",
    IncidentStatus.MONITORED: "Recorded only (not undone)",
    IncidentStatus.RESOLVED: "Resolved",
    IncidentStatus.RESTORED: "Restored on X",
}
CATEGORY_LABELS = {"illegal_stream": "Illegal live stream", "adult": "Adult content"}
DONE_MESSAGES = {
    "confirmed": "Confirmed: the takedown was right.",
    "false_positive": "Marked a false positive, with your reason.",
    "restored": "Restored: the repost is back on X.",
    "trusted": "Added to the account's trusted list.",
    "mode": "The account's mode was changed.",
    "trust": "The account's trusted list was changed.",
    "kill_switch": "The kill switch was changed.",
}


def url(path: str = "/", **query: str | None) -> str:
    """A console address; empty query values are left out."""
    shown = {name: value for name, value in query.items() if value}
    return BASE_PATH + path + (f"?{urlencode(shown)}" if shown else "")


def incident_path(incident_id: str) -> str:
    return f"/incidents/{quote(incident_id, safe='')}"


def build_console_app(
    desk: ReviewDesk, accounts: AccountAdmin, zone: tzinfo, clock: Clock = utc_now
) -> APIGatewayHttpResolver:
    """The console's routes on a new resolver (one per execution environment, as Lambda runs it)."""
    app = APIGatewayHttpResolver()
    console = _Console(app, desk, accounts, _environment(zone, clock))
    reviewer = console.guarded

    def admin(handler: Callable[..., Response[str]]) -> Callable[..., Response[str]]:
        return console.guarded(handler, admin=True)

    app.get(f"{BASE_PATH}/static/console.css")(console.stylesheet)
    app.get(BASE_PATH)(reviewer(console.queue_page))
    app.get(f"{BASE_PATH}/")(reviewer(console.queue_page))
    app.get(f"{BASE_PATH}/incidents/<incident_id>")(reviewer(console.incident_page))
    app.post(f"{BASE_PATH}/incidents/<incident_id>/confirm")(reviewer(console.confirm))
    app.post(f"{BASE_PATH}/incidents/<incident_id>/false-positive")(reviewer(console.false_positive))
    app.get(f"{BASE_PATH}/incidents/<incident_id>/restore")(reviewer(console.restore_page))
    app.post(f"{BASE_PATH}/incidents/<incident_id>/restore")(reviewer(console.restore))
    app.post(f"{BASE_PATH}/incidents/<incident_id>/trust")(admin(console.trust))
    app.get(f"{BASE_PATH}/accounts")(reviewer(console.accounts_page))
    app.post(f"{BASE_PATH}/accounts/<account_id>/mode")(admin(console.set_mode))
    app.post(f"{BASE_PATH}/accounts/<account_id>/trusted")(admin(console.set_trusted))
    app.post(f"{BASE_PATH}/kill-switch")(admin(console.set_kill_switch))
    app.not_found(console.not_found)
    return app


def _environment(zone: tzinfo, clock: Clock) -> Environment:
    env = Environment(
        loader=PackageLoader("takedown.console", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = lambda moment: local_time(moment, zone) if moment else "—"
    env.filters["ago"] = lambda moment: ago(moment, clock()) if moment else ""
    env.filters["duration"] = lambda ms: duration(ms) if ms is not None else "—"
    env.filters["status_label"] = lambda status: STATUS_LABELS[IncidentStatus(status)]
    env.filters["category_label"] = lambda category: CATEGORY_LABELS.get(category, category)
    env.globals.update(url=url, incident_path=incident_path, since_choices=SINCE_CHOICES, statuses=IncidentStatus)
    return env


class _Console:
    """The handlers behind each route; the signed-in reviewer is read from the current event."""

    def __init__(self, app: APIGatewayHttpResolver, desk: ReviewDesk, accounts: AccountAdmin, env: Environment) -> None:
        self._app = app
        self._desk = desk
        self._accounts = accounts
        self._env = env
        self._stylesheet = files("takedown.console").joinpath("console.css").read_text("utf-8")

    # ------------------------------------------------------------------ plumbing
    def guarded(self, handler: Callable[..., Response[str]], admin: bool = False) -> Callable[..., Response[str]]:
        def run(**params: str) -> Response[str]:
            try:
                user = self._user()
            except NotSignedInError as error:
                return Response(401, _HTML, f"<!doctype html><title>Sign in</title><p>{error}.</p>")
            if self._from_another_site():
                return self._page("error.html", 403, message="This form was sent from another site: nothing was done.")
            if not user.can_review or (admin and not user.can_change_accounts):
                needed = "admin" if admin else "reviewer"
                return self._page("error.html", 403, message=f"You need the {needed} role to do this; ask an admin.")
            return handler(**params)

        return run

    def _from_another_site(self) -> bool:
        """A change sent by another site's page (cross-site request forgery, should a sign-in front end
        ever hold the session in a cookie): browsers say where a form came from."""
        event = self._app.current_event
        if event.http_method != "POST":
            return False
        headers = {name.lower(): value for name, value in (event.headers or {}).items()}
        if fetch_site := headers.get("sec-fetch-site"):
            return fetch_site not in ("same-origin", "none")
        origin = headers.get("origin")
        return bool(origin) and (origin == "null" or urlparse(origin).netloc != headers.get("host", ""))

    def _user(self) -> Reviewer:
        return reviewer_from_event(self._app.current_event.raw_event)

    def _page(self, template: str, status: int = 200, **context: Any) -> Response[str]:
        html = self._env.get_template(template).render(user=self._user(), **context)
        return Response(status_code=status, content_type=_HTML, body=html, headers=dict(_SECURITY_HEADERS))

    @staticmethod
    def _redirect(location: str) -> Response[str]:
        return Response(303, _HTML, "", headers={"Location": location, **_SECURITY_HEADERS})

    def _form(self) -> dict[str, str]:
        body = self._app.current_event.decoded_body or ""
        return {name: values[-1] for name, values in parse_qs(body, keep_blank_values=True).items()}

    def _query(self, name: str) -> str | None:
        return (self._app.current_event.query_string_parameters or {}).get(name) or None

    def _done(self, error: str | None) -> str | None:
        return None if error else DONE_MESSAGES.get(self._query("done") or "")

    def stylesheet(self) -> Response[str]:
        headers = {"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"}
        return Response(200, "text/css; charset=utf-8", self._stylesheet, headers=headers)

    def not_found(self, _error: Exception) -> Response[str]:
        return Response(404, _HTML, "<!doctype html><title>Not found</title><p>No such page in the review console.</p>")

    # ------------------------------------------------------------------ incidents
    def queue_page(self) -> Response[str]:
        status, since = self._query("status"), self._query("since")
        filters = QueueFilters(
            account_id=self._query("account"),
            category=self._query("category"),
            status=IncidentStatus(status) if status in set(IncidentStatus) else None,
            since=since if since in SINCE_CHOICES else "7d",
            next_token=self._query("next"),
        )
        try:
            queue = self._desk.queue(filters)
        except ReviewError as stale:
            return self._page("error.html", 400, message=str(stale))
        return self._page(
            "queue.html",
            queue=queue,
            filters=filters,
            accounts=self._accounts.accounts(),
            kill_switch=self._accounts.kill_switch(),
            categories=CATEGORY_LABELS,
        )

    def incident_page(self, incident_id: str, error: str | None = None, status: int = 200) -> Response[str]:
        try:
            incident = self._desk.incident(incident_id)
        except ReviewError as missing:
            return self._page("error.html", 404, message=str(missing))
        return self._page(
            "incident.html",
            status,
            incident=incident,
            account=self._accounts.account(incident.account_id),
            error=error,
            done=self._done(error),
            domains=_domains(incident),
        )

    def _act(self, incident_id: str, action: Callable[[], object], done: str) -> Response[str]:
        try:
            action()
        except ReviewError as refused:
            return self.incident_page(incident_id, error=str(refused), status=409)
        return self._redirect(url(incident_path(incident_id), done=done))

    def confirm(self, incident_id: str) -> Response[str]:
        return self._act(incident_id, lambda: self._desk.confirm(incident_id, by=self._user().who), "confirmed")

    def false_positive(self, incident_id: str) -> Response[str]:
        reason = self._form().get("reason", "")
        who = self._user().who
        return self._act(
            incident_id, lambda: self._desk.false_positive(incident_id, by=who, reason=reason), "false_positive"
        )

    def restore_page(self, incident_id: str) -> Response[str]:
        try:
            incident = self._desk.incident(incident_id)
        except ReviewError as missing:
            return self._page("error.html", 404, message=str(missing))
        return self._page("restore.html", incident=incident, error=None)

    def restore(self, incident_id: str) -> Response[str]:
        fields = self._form()
        if fields.get("confirm") != "yes":  # the confirmation step was skipped: ask first
            return self._redirect(url(incident_path(incident_id) + "/restore"))
        reason, who = fields.get("reason", ""), self._user().who
        return self._act(incident_id, lambda: self._desk.restore(incident_id, by=who, reason=reason), "restored")

    def trust(self, incident_id: str) -> Response[str]:
        fields, who = self._form(), self._user().who
        kind: TrustKind = "author" if fields.get("kind") == "author" else "domain"
        value, reason = fields.get("value", ""), fields.get("reason", "")
        return self._act(
            incident_id, lambda: self._desk.trust(incident_id, kind, value, by=who, reason=reason), "trusted"
        )

    # ------------------------------------------------------------------ accounts
    def accounts_page(self, error: str | None = None, status: int = 200) -> Response[str]:
        accounts = self._accounts.accounts()
        return self._page(
            "accounts.html",
            status,
            accounts=accounts,
            handles={account.account_id: account.handle for account in accounts if account.handle},
            kill_switch=self._accounts.kill_switch(),
            audit=self._accounts.audit(),
            error=error,
            done=self._done(error),
        )

    def _account_change(self, change: Callable[[dict[str, str], str], object], done: str) -> Response[str]:
        try:
            change(self._form(), self._user().who)
        except AccountChangeError as refused:
            return self.accounts_page(error=str(refused), status=409)
        return self._redirect(url("/accounts", done=done))

    def set_mode(self, account_id: str) -> Response[str]:
        def change(fields: dict[str, str], who: str) -> object:
            mode = fields.get("mode", "")
            if mode not in ("enforce", "monitor"):
                raise AccountChangeError("choose a mode: enforce or monitor")
            return self._accounts.set_mode(account_id, mode, by=who, reason=fields.get("reason", ""))  # type: ignore[arg-type]

        return self._account_change(change, "mode")

    def set_trusted(self, account_id: str) -> Response[str]:
        def change(fields: dict[str, str], who: str) -> object:
            kind: TrustKind = "author" if fields.get("kind") == "author" else "domain"
            trusted = fields.get("trusted") != "no"
            value, reason = fields.get("value", ""), fields.get("reason", "")
            return self._accounts.set_trusted(account_id, kind, value, trusted=trusted, by=who, reason=reason)

        return self._account_change(change, "trust")

    def set_kill_switch(self) -> Response[str]:
        def change(fields: dict[str, str], who: str) -> object:
            return self._accounts.set_kill_switch(fields.get("on") == "yes", by=who, reason=fields.get("reason", ""))

        return self._account_change(change, "kill_switch")


def _domains(incident: Incident) -> list[str]:
    """The hosts of the post's links and where they landed: what a reviewer may trust."""
    hosts: list[str] = []
    for page in incident.link_evidence:
        for host in (page.final_host,):
            if host and host not in hosts:
                hosts.append(host.removeprefix("www."))
    return hosts
