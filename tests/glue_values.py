"""Glue values of executed notebooks: {notebook: {name: text/plain}}."""
import json
import sys
from pathlib import Path


def glue_values(folder):
    out = {}
    for p in sorted(Path(folder).glob("*.ipynb")):
        nb = json.loads(p.read_text())
        vals = {}
        for cell in nb["cells"]:
            for o in cell.get("outputs", []):
                sb = o.get("metadata", {}).get("scrapbook")
                if sb:
                    data = o.get("data", {})
                    vals[sb["name"]] = data.get(sb.get("mime_prefix", "") + "text/plain", data.get("text/plain"))
        out[p.stem] = vals
    return out

if __name__ == "__main__":
    json.dump(glue_values(sys.argv[1]), open(sys.argv[2], "w"), indent=1, ensure_ascii=False, sort_keys=True)
