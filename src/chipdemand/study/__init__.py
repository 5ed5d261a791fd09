"""Studies: the data model of a study file, its loader, and what reads and writes study files.

Schema, ``extends``, observations, references, the shipped studies, and authoring (new, describe, show).
"""
