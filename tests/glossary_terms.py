"""Finding glossary terms in the prose of a lesson (its markdown outside code cells)."""

import re

# glossary term -> the pattern of its forms in running text
FORMS = {
    "stochastic gradient descent": r"stochastic gradient descent",
    "gradient accumulation": r"gradient accumulation",
    "gradient descent": r"(?<!stochastic )gradient descent",
    "batch size": r"batch sizes?",
    "mini-batch": r"mini-batch(?:es)?",
    "batch": r"(?<![-\w])batch(?:es)?(?![-\w]| sizes?)",
    "learning rate": r"learning rates?",
    "early stopping": r"early stopping",
    "validation set": r"validation sets?",
    "data loader": r"data loaders?",
    "cross-entropy": r"cross-entropy",
    "over-fitting": r"over-fitting",
    "checkpoint": r"checkpoints?",
    "overhead-bound": r"overhead-bound",
    "compute-bound": r"compute-bound",
    "iteration": r"iterations?",
    "momentum": r"momentum",
    "epoch": r"epochs?",
    "all-reduce": r"all-reduces?",
    "world size": r"world sizes?",
    "rank": r"(?<![-\w])ranks?(?![-\w])",
    "logits": r"logits?",
    "Adam": r"(?-i:Adam)",
}

ROLE = re.compile(r"\{term\}`([^`<]*?)(?:\s*<([^>]+)>)?`")
# spans in which a term is not running text: roles, code, math, link targets
SKIP = re.compile(r"\{term\}`[^`]*`|``.*?``|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\]\([^)]*\)|<[^>]*>")


def prose_lines(text):
    """(line number, line) of the lesson's running text: no code cells, headings or options."""
    in_code = False
    for number, line in enumerate(text.splitlines()):
        stripped = line.strip()
        if stripped == "## References":
            return
        if stripped.startswith("```{code-cell}"):
            in_code = True
            continue
        if in_code:
            in_code = stripped != "```"
            continue
        if number == 0 or stripped.startswith(("#", "```", ":", "---")) or not stripped:
            continue
        yield number, line


def first_uses(text):
    """{term: (line number, column, linked)} for the first use of each glossary term."""
    found = {}
    for number, line in prose_lines(text):
        spans = [(m.start(), m.end()) for m in SKIP.finditer(line)]
        for m in ROLE.finditer(line):
            target = (m.group(2) or m.group(1)).strip()
            if target in FORMS:
                found.setdefault(target, (number, m.start(), True))
        for term, form in FORMS.items():
            for m in re.finditer(form, line, flags=re.IGNORECASE):
                if any(a <= m.start() < b for a, b in spans):
                    continue
                if term not in found or (number, m.start()) < found[term][:2]:
                    found[term] = (number, m.start(), False)
                break
    return found
