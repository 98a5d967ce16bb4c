"""The console frontend: a participant (or an experimenter piloting) answers in a terminal.

Ratings are range-checked and asked again on a bad entry. Ctrl-C (or end of input) asks whether to
quit; quitting leaves every answer so far in the store and the session resumable with ``run --resume``.

Keys typed ahead are not answers: on a terminal, whatever was typed before a prompt appears (during a
waiting screen, while a page was printed) is discarded before the prompt is shown, so only what is typed
after the question counts and its response time is real. Piped input (``placebolab run … < answers.txt``,
a scripted pilot or a test) is different: every line was written in advance, on purpose, and is read in
order as the answer to the next prompt; nothing of it is discarded.
"""

from __future__ import annotations

import functools
import select
import sys
from collections.abc import Callable
from datetime import datetime
from typing import cast

try:
    import termios
except ImportError:  # Windows
    termios = None  # type: ignore[assignment]

from rich.markup import escape

from placebolab.components import ConsentStep, PauseStep, QuestionnaireStep, RatingStep
from placebolab.components.base import Item
from placebolab.components.catalogue import DEFAULT_LANGUAGE, catalogue
from placebolab.components.consent import AGREED, DECLINED
from placebolab.components.scales import not_applicable_label
from placebolab.errors import InternalError, SessionInterrupted
from placebolab.frontends.base import Response, Unsupported, coming_next, refuse_unshowable, saved_note
from placebolab.session import Current

EXPERIMENTER_WORD = "go"
NO_MEDIA = Unsupported(
    "a terminal cannot show images, sound or video: run it with --frontend psychopy, or online (placebolab serve)"
)


class ConsoleFrontend:
    name = "console"

    def __init__(self, clock, console=None, input_fn=None, language: str = DEFAULT_LANGUAGE):
        from rich.console import Console

        self.clock = clock
        self.console = console or Console(highlight=False)
        self._input = input_fn or interruptible_input
        self._on_screen: Current | None = None  # the step being shown, for what the quit prompt says is saved
        self.use_language(language)

    def use_language(self, language: str) -> None:
        """Say what the terminal adds to the protocol's texts in ``language`` (components.catalogue)."""
        self.say = catalogue(language)

    @staticmethod
    def refuse_unshowable(protocol) -> None:
        """Refuse, before anyone is enrolled, a protocol with a step a terminal cannot show (see SCREENS)."""
        refuse_unshowable(protocol, SCREENS)

    # --- intake ------------------------------------------------------------------------------------

    def ask_intake(self, fields, given: dict, participant: str) -> dict:
        """Ask the fields not ``given``, each again until its answer is valid."""
        values = dict(given)
        for field in fields:
            if field.id in values:
                continue
            hint = f" ({', '.join(field.choices)})" if field.choices else ""
            while True:
                raw = self._ask(f"{field.label or field.id}{hint}: ")
                try:
                    values[field.id] = field.check(raw)
                    break
                except ValueError as exc:
                    self.console.print(f"[red]{escape(self.say.problem(exc))}[/red]")
        return values

    def open(self, *, pilot: bool = False) -> None:
        """Nothing to open: the terminal is there (a pilot session is flagged in the store, not on screen)."""

    def close(self) -> None:
        """Nothing to close."""

    # --- steps -------------------------------------------------------------------------------------

    def wait(self, current: Current) -> None:
        self._on_screen = None
        self._asking_on_interrupt(self._wait, current)

    def show(self, current: Current) -> Response:
        self._on_screen = current
        return self._asking_on_interrupt(self._show, current)

    def _asking_on_interrupt(self, action, current: Current):
        """Ctrl-C may land anywhere, not only at a prompt: ask whether to quit, and if not, show the step again
        (each answer is kept as it is given, so it goes on at its first unanswered question)."""
        while True:
            try:
                return action(current)
            except KeyboardInterrupt:
                self._confirm_quit()

    def _wait(self, current: Current) -> None:
        if current.not_before is None:
            raise InternalError("drive waits only for a scheduled step")
        due = datetime.fromtimestamp(current.not_before).strftime("%H:%M:%S")
        self.console.rule()
        self.console.print(
            escape(self.say("wait.comes_at", next=coming_next(current.step, self.say), time=due))
            + " "
            + escape(self.say("console.typed_later"))
        )
        self._sleep_until(current.not_before)
        if self.console.is_terminal:  # erase what the terminal echoed of a line typed while waiting
            self.console.file.write("\r\x1b[2K")

    def _show(self, current: Current) -> Response:
        step = current.step
        self.console.rule(f"[dim]{current.occurrence.index + 1}/{current.occurrence.total}[/dim]")
        if step.title:
            self.console.print(f"[bold]{escape(step.title)}[/bold]")
        screen = SCREENS[step.type]
        if isinstance(screen, Unsupported):
            raise InternalError("refused before anyone was enrolled (refuse_unshowable)")
        return screen(self, current, self.clock.now())

    def _pages(self, current: Current, shown_at: float) -> Response:
        if current.speaker:
            self.console.print(f"[bold]{escape(current.speaker)}[/bold]")
        for page in current.pages:
            self.console.print(page_markdown(page))
            self._ask(f"\n{self.say('console.enter_to_continue')} ")
        return Response({}, shown_at)

    def _rating_step(self, current: Current, shown_at: float) -> Response:
        step = cast(RatingStep, current.step)  # SCREENS chose this screen by the step's type
        value, at = self._rating(step.prompt, step.records()[0], step.effective_scale)
        return Response({"": value}, shown_at, {"": at})

    def _questionnaire(self, current: Current, shown_at: float) -> Response:
        step = cast(QuestionnaireStep, current.step)  # SCREENS chose this screen by the step's type
        if step.prompt:
            self.console.print(escape(step.prompt))
        values, times = {}, {}
        kept = current.kept  # given before a stop: shown as given, not asked again
        for item, record in zip(step.items, step.records(), strict=True):
            if item.id in kept:
                shown = kept_answer(kept[item.id].value, record, step.item_scale(item))
                answered = escape(self.say("console.answered", value=shown))
                self.console.print(f"\n[bold]{escape(item.text)}[/bold]\n  [dim]{answered}[/dim]")
                continue
            values[item.id], times[item.id] = self._rating(item.text, record, step.item_scale(item))
            if current.drafts is not None:  # kept now: a stop at the next question loses none of these
                current.drafts.save({item.id: values[item.id]}, shown_at, {item.id: times[item.id]})
        return Response(values, shown_at, times)

    def _rating(self, prompt: str, item: Item, scale) -> tuple[float | None, float]:
        self.console.print(f"\n[bold]{escape(prompt)}[/bold]")
        if scale.type == "likert":
            for value, label in enumerate(scale.labels, start=1):
                self.console.print(f"  {value} = {escape(label)}")
        elif scale.anchors:
            self.console.print(
                f"  {item.min:g} = {escape(scale.anchors[0])}   {item.max:g} = {escape(scale.anchors[1])}"
            )
        if scale.not_applicable:
            self.console.print(f"  {item.na_code:g} = {escape(scale.not_applicable)}")
        low, high, step = item.min, item.max, item.increment
        # a scale in steps other than 1 (0–100 in tens): the prompt says so, not only the refusal
        second = low + step if low is not None and step is not None and step != 1 else None
        if second is None:
            ask = self.say("console.your_answer", low=low, high=high)
        else:
            ask = self.say("console.your_answer_steps", low=low, high=high, step=step)
        while True:
            raw = self._ask(f"{ask} ")
            try:
                return item.check(raw.strip()), self.clock.now()
            except ValueError as exc:
                problem = self.say.problem(exc)
                if second is None:
                    problem = self.say("console.type_a_number", problem=problem, low=low, high=high)
                else:
                    problem = self.say("console.type_a_step", problem=problem, low=low, next=second, high=high)
                self.console.print(f"[red]{escape(problem)}[/red]")

    def _consent(self, current: Current, shown_at: float) -> Response:
        step = cast(ConsentStep, current.step)  # SCREENS chose this screen by the step's type
        self.console.print(page_markdown(current.pages[0]))
        agree, decline = step.agree or self.say("consent.agree"), step.decline or self.say("consent.decline")
        yes, no = typed_as(self.say("console.yes"), "y", "yes"), typed_as(self.say("console.no"), "n", "no")
        while True:
            checked = []
            for statement in step.statements:
                self.console.print(f"\n[bold]{escape(statement.text)}[/bold]")
                if self._ask_choice(f"{self.say('console.consent_statement')} ", yes | no) in yes:
                    checked.append(statement.id)
            self.console.print()
            choose = self.say("console.consent_choose", agree=agree, decline=decline)
            choice = self._ask_choice(f"{choose} ", {"a", "d"})
            at = self.clock.now()
            if choice == "d":
                self.console.print(f"\n{escape(self.say('console.declined'))}")
                return Response({"": DECLINED}, shown_at, {"": at}, {"consent_checked": checked})
            if len(checked) == len(step.statements):
                return Response({"": AGREED}, shown_at, {"": at}, {"consent_checked": checked})
            self.console.print(f"[red]{escape(self.say('console.consent_tick_every'))}[/red]")

    def _ask_choice(self, prompt: str, allowed: set[str]) -> str:
        """One of ``allowed`` (lower case letters), asked again until typed."""
        while (answer := self._ask(prompt).strip().lower()) not in allowed:
            pass
        return answer

    def _pause(self, current: Current, shown_at: float) -> Response:
        step = cast(PauseStep, current.step)  # SCREENS chose this screen by the step's type
        self.console.print(escape(step.text))
        if step.until == "duration":
            if step.seconds is None:
                raise InternalError("a timed pause has its duration (validated)")
            self._sleep_until(shown_at + step.seconds)
        else:
            while (
                self._ask(f"\n{self.say('console.experimenter_go', word=EXPERIMENTER_WORD)} ").strip()
                != EXPERIMENTER_WORD
            ):
                pass
        return Response({}, shown_at)

    def _ask(self, prompt: str) -> str:
        """One line of input, typed after the prompt; Ctrl-C or end of input asks the experimenter whether to quit."""
        while True:
            self._discard_typed_ahead()
            try:
                return self._input(prompt)
            except (KeyboardInterrupt, EOFError):
                self._confirm_quit()

    def _discard_typed_ahead(self) -> None:
        if discard_typed_ahead(sys.stdin):
            self.console.print(f"[dim]{escape(self.say('console.typed_ahead'))}[/dim]")

    def _sleep_until(self, moment: float) -> None:
        """Wait; Ctrl-C while waiting asks the experimenter whether to quit, as it does at a prompt."""
        while True:
            try:
                return self.clock.sleep_until(moment)
            except KeyboardInterrupt:
                self._confirm_quit()

    def _confirm_quit(self) -> None:
        quit = self.say("console.quit", saved=saved_note(self._on_screen))
        self.console.print(f"\n[yellow]{escape(quit)}[/yellow]")
        self._discard_typed_ahead()
        try:
            answer = self._input("> ").strip().lower()
        except (KeyboardInterrupt, EOFError):  # asked to stop again, or no more input: yes (on a line of its own)
            self.console.print()
            answer = "y"
        if answer in typed_as(self.say("console.yes"), "y", "yes"):
            raise SessionInterrupted("the session was stopped; every answer so far is stored")


def typed_as(said: str, *english: str) -> set[str]:
    """What may be typed for an answer: its English words and the catalogue's (``"j, ja"``)."""
    return {*english, *said.split(", ")}


#: how a terminal shows each step type: ``screen(frontend, current, shown_at) → Response``
SCREENS: dict[str, Callable[[ConsoleFrontend, Current, float], Response] | Unsupported] = {
    "text": ConsoleFrontend._pages,
    "script": ConsoleFrontend._pages,
    "rating": ConsoleFrontend._rating_step,
    "questionnaire": ConsoleFrontend._questionnaire,
    "pause": ConsoleFrontend._pause,
    "image": NO_MEDIA,
    "audio": NO_MEDIA,
    "video": NO_MEDIA,
    "consent": ConsoleFrontend._consent,
}


def discard_typed_ahead(stream) -> bool:
    """Discard input typed on a terminal but not yet read; True if a whole line was waiting.

    Only a terminal: piped input is a script, each line meant for the next prompt (see the module docstring)."""
    try:
        if not stream.isatty():
            return False
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # no real stream (a test's replacement for stdin)
        return False
    if termios is None:  # Windows: the console's own key buffer
        import msvcrt

        pending = msvcrt.kbhit()
        while msvcrt.kbhit():
            msvcrt.getwch()
        return pending
    pending = bool(select.select([fd], [], [], 0)[0])  # a terminal reports a complete line as readable
    termios.tcflush(fd, termios.TCIFLUSH)
    return pending


def interruptible_input(prompt: str) -> str:
    """``input(prompt)``, except that a Ctrl-C pressed just as the prompt appears is not lost.

    CPython's ``input()`` notices a signal only when it interrupts the blocking read, so a SIGINT arriving
    between the prompt being printed and the read starting was noticed only at the next Enter (found by
    the pty tests, which press Ctrl-C the moment a prompt shows). On a terminal the wait is instead a
    ``select()`` with a short timeout, between which the interpreter runs its signal handler."""
    if not sys.stdin.isatty():
        return input(prompt)
    sys.stdout.write(prompt)
    sys.stdout.flush()
    while not select.select([sys.stdin], [], [], 0.1)[0]:
        pass
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\r\n")


def page_markdown(text: str):
    """A page's markdown for the terminal, anything written like HTML (``<b>``, a name typed as ``Kim <K>``)
    shown as written, as the browser and the lab window show it: rich's own parser reads it as HTML and drops
    it, so the page is parsed again with HTML off (markdown-it, as the web frontend parses it)."""
    from rich.markdown import Markdown

    page = Markdown(text)
    page.parsed = _markdown_parser().parse(text)
    return page


@functools.cache
def _markdown_parser():
    """rich's parser (commonmark with strikethrough and tables) with HTML off, made once, not for every page."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("strikethrough").enable("table")


def kept_answer(value: float | None, item: Item, scale) -> str:
    """An answer given before a stop, as a resumed session shows it: its number, and the label it was chosen
    by where the scale has one ("0 (cannot say)", "4 (agree)"): a bare 0 read as a point below the scale."""
    if value is None:
        return "-"
    not_applicable = not_applicable_label(item, scale)
    if not_applicable is not None and value == item.na_code:
        return f"{value:g} ({not_applicable})"
    if scale.type == "likert" and scale.labels and float(value).is_integer() and 1 <= value <= len(scale.labels):
        return f"{value:g} ({scale.labels[int(value) - 1]})"
    return f"{value:g}"
