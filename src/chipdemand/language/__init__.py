"""The formula language of study files: parse, unit-check and compile formulas into a model."""
