"""Lessons 1-7 run on public PyTorch only: the private fused kernel is the fast path's."""

import ast
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parent.parent
TEACHING = sorted((ROOT / "chapters").glob("0[1-7]-*.md"))


def private_torch_calls(path):
    """{name of the enclosing function or class: [torch._name, ...]} in a Python file."""
    found = {}

    def visit(node, owner):
        for child in ast.iter_child_nodes(node):
            scope = child.name if isinstance(child, (ast.FunctionDef, ast.ClassDef)) else owner
            if isinstance(child, ast.Attribute) and child.attr.startswith("_") \
                    and isinstance(child.value, ast.Name) and child.value.id == "torch":
                found.setdefault(owner, []).append(f"torch.{child.attr}")
            visit(child, scope)
    visit(ast.parse(path.read_text()), "<module>")
    return found


def test_the_only_private_torch_call_in_helpers_is_fused_adams_kernel():
    calls = {f"{path.name}:{owner}": names for path in sorted((ROOT / "helpers").glob("*.py"))
             for owner, names in private_torch_calls(path).items()}
    assert calls == {"optimizers.py:_fused_adam": ["torch._fused_adam_"]}


def test_private_torch_calls_are_found_where_they_are(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import torch\n\ndef f():\n    return torch._foreach_add_([], 1)\n")
    assert private_torch_calls(sample) == {"f": ["torch._foreach_add_"]}


@pytest.mark.parametrize("md", TEACHING, ids=lambda p: p.stem)
def test_lessons_1_to_7_use_neither_fused_adam_nor_private_torch_functions(md):
    code = "\n".join(cell.source for cell in jupytext.read(md).cells if cell.cell_type == "code")
    assert "FusedAdam" not in code and "_fused_adam" not in code
    assert "torch._" not in code
