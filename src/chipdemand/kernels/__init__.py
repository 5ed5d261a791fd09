"""Kernels on plain NumPy arrays: uniforms and streams, quantiles and MCSE, Sobol' indices,
importance weights.

NumPy and SciPy only (and :mod:`chipdemand.errors`); nothing here knows a study, a label or a file.
"""
