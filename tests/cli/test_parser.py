"""The parser: every command registered, every flag explained, every flag in the README."""

from pathlib import Path


def test_every_flag_of_every_command_says_what_it_does():
    from chipdemand.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, command in sub.choices.items():
        assert command.description, name
        for action in command._actions:
            if action.option_strings and action.dest != "help":
                assert action.help and len(action.help) > 10, (name, action.option_strings)
                assert "``" not in action.help and ":func:" not in action.help, (name, action.option_strings)


def test_readme_lists_every_flag():
    from chipdemand.cli import build_parser

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    missing = [
        f"{name} {flag}"
        for name, command in sub.choices.items()
        for action in command._actions
        for flag in action.option_strings
        if flag.startswith("--")
        and flag != "--help"
        and f"chipdemand {name}" in readme
        and flag not in readme
    ]
    commands = [name for name in sub.choices if f"chipdemand {name}" not in readme]
    assert not missing and not commands, (missing, commands)


def test_every_registered_command_is_one_module_with_its_flags_and_handler():
    """A command is one module of chipdemand.cli.commands and its name in COMMANDS, in the order
    of `chipdemand --help`."""
    from chipdemand.cli import build_parser
    from chipdemand.cli.commands import COMMANDS, command

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert list(sub.choices) == list(COMMANDS)
    for name in COMMANDS:
        module = command(name)
        assert callable(module.add_arguments) and callable(module.handle), name
        assert module.HELP and module.DESCRIPTION == sub.choices[name].description, name
