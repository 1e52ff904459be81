"""Compare a build with a saved baseline: results tables byte for byte, glue values by name.

Usage: python tests/compare_with_baseline.py BASELINE_DIR [EXECUTED_NOTEBOOKS_DIR]

BASELINE_DIR holds ``results/tables/*.csv``, ``processed/*.csv`` and ``glue.json`` (written by
``tests/glue_values.py`` from the baseline's executed notebooks). Prints every table that
differs (with the differing lines), every glue value that changed or disappeared, and the
new glue names; exits 0 either way (the differences are for a person to name).
"""

import difflib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from glue_values import glue_values  # noqa: E402


def main(baseline: Path, executed: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    for sub, here in (("results/tables", root / "results" / "tables"), ("processed", root / "data" / "processed")):
        for old in sorted((baseline / sub).glob("*.csv")):
            new = here / old.name
            if not new.exists():
                print(f"TABLE {sub}/{old.name}: missing in this build")
                continue
            a, b = old.read_text().splitlines(), new.read_text().splitlines()
            if a != b:
                print(f"TABLE {sub}/{old.name}: differs")
                for line in difflib.unified_diff(a, b, lineterm="", n=0):
                    if not line.startswith(("---", "+++", "@@")):
                        print("    " + line[:220])
    before = json.loads((baseline / "glue.json").read_text())
    after = glue_values(executed)
    for nb, values in before.items():
        now = after.get(nb, {})
        for key, value in values.items():
            if key not in now:
                print(f"GLUE {nb}::{key}: gone (was {value[:100]!r})")
            elif now[key] != value:
                print(f"GLUE {nb}::{key}: {value[:100]!r} -> {now[key][:100]!r}")
        new = sorted(set(now) - set(values))
        if new:
            print(f"GLUE {nb}: new names: {', '.join(new)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else Path("build/notebooks"))
