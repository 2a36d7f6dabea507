"""Whether the node's jars are older than their sources: prints the first source file found newer
than the jar built from it (nothing when every jar is current).

The node runs from modules/api/target/nrs-node.jar and the module jars copied beside it into
target/lib; Maven rewrites a jar only when its module changed, so each module is compared with
its own jar.
"""

import glob
import os
import sys


def newer_source(root):
    lib = os.path.join(root, "modules", "api", "target", "lib")
    jars = {"api": os.path.join(root, "modules", "api", "target", "nrs-node.jar")}
    for module in ("core", "rtmp", "ingest", "pipeline"):
        found = glob.glob(os.path.join(lib, "nrs-%s-*.jar" % module))
        jars[module] = found[0] if found else None
    for module, jar in jars.items():
        if jar is None or not os.path.exists(jar):
            return os.path.join("modules", module)
        built = os.path.getmtime(jar)
        for dirpath, _, files in os.walk(os.path.join(root, "modules", module, "src", "main")):
            for f in files:
                path = os.path.join(dirpath, f)
                if os.path.getmtime(path) > built:
                    return os.path.relpath(path, root)
    return None


if __name__ == "__main__":
    found = newer_source(os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
    if found:
        print(found)
    sys.exit(0)
