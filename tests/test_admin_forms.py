"""bot.admin.forms: one description of each form, which the Telegram steps and the Discord
modal both render (the modal's side is read from the emulator in test_admin_platforms.py)."""

from __future__ import annotations

from bot.admin.forms import FormField, Forms, Ready, form_fields
from bot.core import Core


def test_a_form_asks_every_parameter_in_the_declared_order(core: Core) -> None:
    command = core.registry.get("addrelease")
    assert command is not None and command.form
    fields = form_fields(command)
    assert [f.name for f in fields] == [p.name for p in command.params]
    assert all(isinstance(f, FormField) and f.label == f.name.replace("_", " ") for f in fields)
    assert [f.required for f in fields] == [p.required for p in command.params]


async def test_the_steps_ask_the_form_fields_not_given_in_order(core: Core) -> None:
    command = core.registry.get("addrelease")
    assert command is not None
    forms = Forms(core)
    key = ("chat", "person")
    fields = [f for f in form_fields(command) if f.name != "who"]
    prompt = forms.open(key, command, {"who": "IU"})
    asked = []
    for field in fields:
        assert prompt.lines[-2].text.startswith(f"{field.label.capitalize()}: {field.help}")
        asked.append(field.name)
        if not field.required:
            step = forms.control(key, "skip")
        else:
            step = await forms.answer(key, "2024-01-24" if field.name == "date" else "x y")
        if isinstance(step, Ready):
            break
        assert step is not None
        prompt = step
    assert asked == [f.name for f in fields]
    assert isinstance(step, Ready) and step.raw["who"] == "IU" and "summary" not in step.raw
