"""List import cycles between lxp's packages, and between the modules inside each package.

Run: `.venv/bin/python scripts/import_cycles.py` (prints nothing but a summary when there are
none). It reads the same import graph as `lint-imports` (grimp), including imports made inside
functions, so a cycle cannot hide in a function body. Each cycle is a strongly connected group
of siblings, with the imports that tie it together.
"""

import sys

import grimp


def _strongly_connected(nodes, edges):
    """Tarjan's algorithm: the groups of nodes that reach each other (only groups of two or more)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []
    counter = 0

    def visit(node):
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return groups


def sibling_cycles(graph, parent):
    """The cycles between the children of `parent`, each as (members, [(importer, imported, line)])."""
    children = graph.find_children(parent)
    owner = {}
    for child in children:
        owner[child] = child
        for descendant in graph.find_descendants(child):
            owner[descendant] = child
    edges, details = {}, {}
    for importer, child in owner.items():
        for imported in graph.find_modules_directly_imported_by(importer):
            target = owner.get(imported)
            if target is None or target == child:
                continue
            edges.setdefault(child, set()).add(target)
            details.setdefault((child, target), []).append((importer, imported))
    result = []
    for group in _strongly_connected(children, edges):
        members = set(group)
        ties = []
        for (source, target), pairs in sorted(details.items()):
            if source in members and target in members:
                for importer, imported in sorted(pairs):
                    lines = graph.get_import_details(importer=importer, imported=imported)
                    line = lines[0]["line_number"] if lines else "?"
                    ties.append((importer, imported, line))
        result.append((group, ties))
    return result


def main():
    graph = grimp.build_graph("lxp")
    parents = ["lxp"] + sorted(m for m in graph.modules if graph.find_children(m) and m != "lxp")
    total = 0
    for parent in parents:
        for group, ties in sibling_cycles(graph, parent):
            total += 1
            print(f"cycle under {parent}: {' <-> '.join(group)}")
            for importer, imported, line in ties:
                print(f"    {importer}:{line} -> {imported}")
    print(f"{total} cycle(s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
