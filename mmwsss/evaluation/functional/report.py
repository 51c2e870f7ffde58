"""Rounding and tables shared by the metrics' reports."""
from typing import Dict, Sequence

import numpy as np
from prettytable import PrettyTable


def percent(value: float) -> float:
    """A fraction as a percentage rounded to 2 decimals (mmseg convention;
    NaN stays NaN)."""
    return round(float(value) * 100, 2)


def per_class(names: Sequence[str],
              values: Sequence[float]) -> Dict[str, float]:
    """``{class name: percentage}`` of per-class fractions."""
    if len(names) != len(values):
        raise ValueError(f'{len(names)} class names for {len(values)} values')
    return {name: percent(v) for name, v in zip(names, values)}


def table(columns: Dict[str, Sequence]) -> str:
    """Text table with one column per item of ``columns``; floats print
    with 2 decimals."""
    out = PrettyTable()
    for name, values in columns.items():
        out.add_column(name, [
            f'{v:.2f}' if isinstance(v, (float, np.floating)) else v
            for v in values
        ])
    return out.get_string()
