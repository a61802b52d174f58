"""Mutation score of the modules where a silent change would hurt people.

mutmut changes one thing at a time in each module (a comparison, a constant, a condition, an
argument) and runs the tests that reach the changed function; a change no test notices
"survives". The modules and the fast tests that guard them (unit tests and the related
integration tests, on SQLite) are listed once, in `[tool.mutmut]` of pyproject.toml: add a
module there and it is scored on the next run.

    pip install -e ".[test,mutation]"
    python bench/mutation.py                  # every module, from scratch
    python bench/mutation.py limiter periods  # only modules whose path contains a word
    python bench/mutation.py --report         # the last results again, without running

It runs at low priority (`nice`), writes the surviving mutants with their diffs to
`bench/results/mutants-surviving.txt`, and prints a Markdown table: mutants, killed, survived
and the score per module and in total. mutmut keeps its work in `mutants/` (not committed);
its own output goes to `mutants/run.log`.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "mutants"
SURVIVORS = ROOT / "bench" / "results" / "mutants-surviving.txt"
# Database and Redis tests run on SQLite and in memory only: fast, and no server needed.
SERVER_VARIABLES = ("TEST_DATABASE_URL", "TEST_REDIS_URL")
# mutmut's exit codes (mutmut.stats): a test failed, or the mutant hung, or the type
# checker refused it. Anything else that was checked means no test noticed.
KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout",
          152: "timeout", 255: "timeout", 37: "type check", -9: "killed (signal)",
          -11: "killed (signal)"}  # fmt: skip
NOT_RUN = {None, 2, 34}  # not checked, interrupted, skipped
SURVIVED = {0: "survived", 5: "no tests", 33: "no tests"}


@dataclass
class Module:
    path: str
    statuses: Counter[str] = field(default_factory=Counter)
    survivors: list[str] = field(default_factory=list)
    status_of: dict[str, str] = field(default_factory=dict)
    not_run: int = 0

    @property
    def killed(self) -> int:
        return sum(n for status, n in self.statuses.items() if status in KILLED.values())

    @property
    def checked(self) -> int:
        return self.killed + len(self.survivors)


def configured_modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return list(config["tool"]["mutmut"]["only_mutate"])


def mutant_glob(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".") + ".*"


def run(modules: list[str], jobs: int, fresh: bool) -> int:
    if fresh and WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in SERVER_VARIABLES}
    # mutmut calls `mypy` by name: the one beside this Python.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)]
    command += [mutant_glob(path) for path in modules]
    started = time.monotonic()
    print(f"mutmut on {len(modules)} module(s), {jobs} worker(s); log: {WORK / 'run.log'}")
    with (WORK / "run.log").open("w", encoding="utf-8") as log:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: os.nice(10),
            check=False,
        )
    print(f"mutmut finished in {time.monotonic() - started:.0f} s (exit {done.returncode})")
    return done.returncode


def collect(modules: list[str]) -> list[Module]:
    found = []
    for path in modules:
        meta = WORK / f"{path}.meta"
        if not meta.exists():
            continue
        module = Module(path)
        for name, code in json.loads(meta.read_text("utf-8"))["exit_code_by_key"].items():
            if code in NOT_RUN:
                module.not_run += 1
                continue
            status = KILLED.get(code) or SURVIVED.get(code) or f"suspicious ({code})"
            module.statuses[status] += 1
            if code not in KILLED:
                module.survivors.append(name)
                module.status_of[name] = status
        found.append(module)
    return found


def function_lines(path: str) -> dict[str, int]:
    """First line of each function and method (decorators included), by mutmut's name."""
    tree = ast.parse((ROOT / path).read_text("utf-8"))
    lines: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines[f"x_{node.name}"] = _first_line(node)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines[f"xǁ{node.name}ǁ{item.name}"] = _first_line(item)
    return lines


def _first_line(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def diff_of(name: str, path: str) -> str:
    """The mutant's diff, as `mutmut show` prints it (in-process: a subprocess each is slow)."""
    try:
        from mutmut.mutation.diff_apply import get_diff_for_mutant

        return str(get_diff_for_mutant(name, path=Path(path)))
    except Exception:  # another mutmut version: ask its command line
        shown = subprocess.run(
            [sys.executable, "-m", "mutmut", "show", name],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        return shown.stdout.strip()


def describe(module: Module, name: str, source: list[str], starts: dict[str, int]) -> str:
    shown = diff_of(name, module.path)
    function = name.rsplit(".", 1)[-1].split("__mutmut_")[0]
    removed = [
        line[1:].strip()
        for line in shown.splitlines()
        if line.startswith("-") and not line.startswith("---")
    ]
    where = module.path
    first = starts.get(function)
    if removed and first:
        line = next(
            (n for n in range(first, len(source) + 1) if source[n - 1].strip() == removed[0]),
            None,
        )
        if line:
            where = f"{module.path}:{line}"
    return f"## {where}  {name} ({module.status_of[name]})\n{shown}\n"


def write_survivors(found: list[Module]) -> None:
    SURVIVORS.parent.mkdir(parents=True, exist_ok=True)
    parts = [
        "# Mutants no test noticed (python bench/mutation.py). Each is either killed by a new\n"
        "# test or listed as equivalent in README.md, section Mutation testing.\n"
    ]
    for module in found:
        source = (ROOT / module.path).read_text("utf-8").splitlines()
        starts = function_lines(module.path)
        parts.extend(describe(module, name, source, starts) for name in module.survivors)
    SURVIVORS.write_text("\n".join(parts), encoding="utf-8")


def table(found: list[Module]) -> str:
    rows = [
        "| module | mutants | killed | survived | score | not run yet |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for module in found:
        rows.append(
            f"| `{module.path}` | {module.checked} | {module.killed} | {len(module.survivors)} "
            f"| {percent(module.killed, module.checked)} | {module.not_run} |"
        )
    killed = sum(module.killed for module in found)
    checked = sum(module.checked for module in found)
    rows.append(
        f"| **total** | {checked} | {killed} | {checked - killed} "
        f"| **{percent(killed, checked)}** | {sum(module.not_run for module in found)} |"
    )
    return "\n".join(rows)


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "–"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("words", nargs="*", help="score only modules whose path contains one")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--report", action="store_true", help="report the last run only")
    parser.add_argument(
        "--keep", action="store_true", help="keep mutmut's earlier results for other modules"
    )
    args = parser.parse_args()
    os.chdir(ROOT)  # mutmut reads its work from ./mutants
    words = args.words
    modules = [path for path in configured_modules() if not words or any(w in path for w in words)]
    if not modules:
        parser.error("no configured module matches")
    if not args.report:
        fresh = not args.keep and not args.words
        if run(modules, args.jobs, fresh=fresh) != 0:
            print(f"mutmut failed; see {WORK / 'run.log'}", file=sys.stderr)
            return 1
    found = collect(configured_modules())  # with the results of earlier runs of others
    if not found:
        print("no results yet: run without --report first", file=sys.stderr)
        return 1
    write_survivors(found)
    print(table(found))
    print(f"\nSurviving mutants: {SURVIVORS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
