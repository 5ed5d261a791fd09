"""``chipdemand serve``: a local page to edit a study and watch its distributions move.

:mod:`.session` holds the study being edited (parse cache, superseded runs, atomic saves inside
the served folder), :mod:`.views` the plot data computed from a run, :mod:`.editing` the
in-place edits of an input, :mod:`.app` the Starlette routes and their guard, :mod:`.cli` the
command. Needs the ``serve`` extra (starlette, uvicorn, tomlkit).
"""

__all__: list[str] = []
