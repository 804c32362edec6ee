#!/usr/bin/env python3
"""Generates src/sim/server/proto_fields.txt: the protobuf field table of the built-in kinds
the simulator serves, read from the Go types of k8s.io/api and k8s.io/apimachinery (their
struct tags carry the field numbers and wire types; `*T` marks a pointer, kept when zero).

usage: scripts/gen-proto-fields.py K8S_API_DIR APIMACHINERY_DIR src/sim/server/openapi_docs.txt \\
         > src/sim/server/proto_fields.txt
(the third argument, optional, also writes the types' descriptions for the OpenAPI documents)
(the checkouts' trees; the table in the repository was made from the v0.33.13 tags of both,
the API version k8s-openapi's `v1_33` feature models.)

Line format: `@package.Message` starts a message; then `NUMBER JSONNAME KIND FLAGS` with KIND
s string, b bytes (base64 in JSON), i integer, B bool, f double, t Time, x IntOrString,
q Quantity, R RawExtension (JSON), d Duration, m=Message, M=<value kind> (map from string;
M=L: the value is a named []string, a message whose field 1 holds the strings) and
FLAGS a combination of r (repeated), k (keep zero values: a pointer or a field without
omitempty) and i (an inlined struct: its fields are the parent's in JSON), or `-`.
"""
import os
import re
import sys

API, MACH = sys.argv[1], sys.argv[2]
PACKAGES = {
    "k8s.io/api/core/v1": "core/v1", "k8s.io/api/apps/v1": "apps/v1", "k8s.io/api/batch/v1": "batch/v1",
    "k8s.io/api/policy/v1": "policy/v1", "k8s.io/api/rbac/v1": "rbac/v1", "k8s.io/api/networking/v1": "networking/v1",
    "k8s.io/api/scheduling/v1": "scheduling/v1", "k8s.io/api/storage/v1": "storage/v1",
    "k8s.io/api/authentication/v1": "authentication/v1", "k8s.io/api/authorization/v1": "authorization/v1",
    "k8s.io/api/autoscaling/v2": "autoscaling/v2", "k8s.io/api/discovery/v1": "discovery/v1",
    "k8s.io/api/coordination/v1": "coordination/v1",
    "k8s.io/apimachinery/pkg/apis/meta/v1": "meta/v1",
}
SPECIAL = {
    ("meta/v1", "Time"): "t", ("meta/v1", "MicroTime"): "t", ("meta/v1", "Duration"): "d",
    ("k8s.io/apimachinery/pkg/util/intstr", "IntOrString"): "x",
    ("k8s.io/apimachinery/pkg/api/resource", "Quantity"): "q",
    ("k8s.io/apimachinery/pkg/runtime", "RawExtension"): "R",
}
ROOTS = [
    ("core/v1", k) for k in ["Namespace", "Pod", "Service", "ServiceAccount", "ConfigMap", "Secret", "ResourceQuota", "LimitRange",
                              "Endpoints", "PersistentVolume", "PersistentVolumeClaim", "ReplicationController", "Node", "Event"]
] + [("apps/v1", k) for k in ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ControllerRevision"]] + [
    ("batch/v1", "Job"), ("batch/v1", "CronJob"), ("policy/v1", "PodDisruptionBudget"), ("policy/v1", "Eviction"),
    ("coordination/v1", "Lease"), ("rbac/v1", "Role"), ("rbac/v1", "RoleBinding"), ("rbac/v1", "ClusterRole"),
    ("rbac/v1", "ClusterRoleBinding"), ("networking/v1", "Ingress"), ("networking/v1", "IngressClass"),
    ("networking/v1", "NetworkPolicy"), ("scheduling/v1", "PriorityClass"), ("storage/v1", "StorageClass"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"), ("discovery/v1", "EndpointSlice"), ("authentication/v1", "TokenRequest"),
    ("authentication/v1", "SelfSubjectReview"), ("authorization/v1", "SelfSubjectAccessReview"),
    ("authorization/v1", "SelfSubjectRulesReview"),
]

structs = {}  # (pkg, name) -> [(gotype, tag, pkgimports)]
strings = set()  # (pkg, name) of named non-struct types
imports = {}
containers = {}  # (pkg, name) -> the map or slice type it names
docs = {}  # (pkg, name) -> the struct's description


def description(lines):
    """A Go doc comment as openapi-gen makes it a description: markers (`+optional`) dropped,
    nothing after a `---` line, lines joined by spaces, paragraphs by a blank line."""
    paragraphs, current = [], []
    for raw in lines:
        line = raw.strip()
        if line.startswith("---"):
            break
        if line.startswith("+"):
            continue
        if not line:
            if current:
                paragraphs.append(" ".join(current))
            current = []
            continue
        current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def go_files(pkg):
    if pkg.startswith("k8s.io/api/"):
        d = os.path.join(API, pkg[len("k8s.io/api/"):])
    else:
        d = os.path.join(MACH, pkg[len("k8s.io/apimachinery/"):])
    return [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".go") and not f.endswith("_test.go") and "generated" not in f and "zz_" not in f]


for pkg, short in PACKAGES.items():
    for path in go_files(pkg):
        src = open(path).read()
        aliases = {}
        block = re.search(r"^import \((.*?)^\)", src, re.M | re.S)
        single = re.findall(r'^import (\w+ )?("[\w./-]+")$', src, re.M)
        text = (block.group(1) if block else "") + "".join(f"{a} {q}\n" for a, q in single)
        for m in re.finditer(r'^\s*(\w+\s+)?"([\w./-]+)"\s*$', text, re.M):
            p = m.group(2)
            aliases[(m.group(1) or p.rsplit("/", 1)[-1]).strip()] = PACKAGES.get(p, p)
        for m in re.finditer(r"^type (\w+) struct \{\n(.*?)^\}", src, re.M | re.S):
            before = src[: m.start()].splitlines()
            head_comment = []
            while before and before[-1].startswith("//"):
                head_comment.insert(0, before.pop()[2:])
            fields = []
            comment = []
            for line in m.group(2).splitlines():
                t = re.search(r'protobuf:"([^"]+)"', line)
                if line.strip().startswith("//"):
                    comment.append(line.strip()[2:])
                    continue
                if not t:
                    comment = []
                    continue
                field_doc, comment = description(comment), []
                head = line.split("`")[0].split()
                gotype = head[-1]
                json_tag = re.search(r'json:"([^"]*)"', line)
                jt = json_tag.group(1) if json_tag else ""
                # An embedded struct without a JSON name is inlined by encoding/json.
                if len(head) == 1 and jt.split(",")[0] == "":
                    jt = ",inline"
                strategy = re.search(r'patchStrategy:"([^"]+)"', line)
                merge_key = re.search(r'patchMergeKey:"([^"]+)"', line)
                patch = (strategy.group(1) if strategy else "") + ("/" + merge_key.group(1) if merge_key else "")
                fields.append((gotype, t.group(1), jt, field_doc, patch))
            structs[(short, m.group(1))] = (fields, aliases)
            docs[(short, m.group(1))] = description(head_comment)
        for m in re.finditer(r"^type (\w+) (string|int32|int64|bool)\s*$", src, re.M):
            strings.add((short, m.group(1)))
        for m in re.finditer(r"^type (\w+) ((?:map\[|\[\])\S+)\s*$", src, re.M):
            containers[(short, m.group(1))] = m.group(2)

out = []
seen = set()
doc_lines = []


def escape(text):
    return text.replace("\\", "\\\\").replace("\t", " ").replace("\n", "\\n")


def resolve(pkg, aliases, t):
    """(kind, target) of a Go type name without *, [] or map."""
    if "." in t:
        a, n = t.split(".", 1)
        p = aliases.get(a, a)
    else:
        p, n = pkg, t
    if (p, n) in SPECIAL:
        return SPECIAL[(p, n)], None
    if t in ("int32", "int64", "int", "uint32", "uint64"):
        return "i", None
    if t == "bool":
        return "B", None
    if t == "string" or (p, n) in strings and (p, n) not in structs:
        return "s", None
    if p == "k8s.io/apimachinery/pkg/types":  # UID, NodeName, ...: named strings
        return "s", None
    if (p, n) in structs:
        return "m", f"{p}.{n}"
    raise SystemExit(f"unknown type {t} in {pkg}")


def emit(key):
    if key in seen:
        return
    seen.add(key)
    fields, aliases = structs[key]
    lines = [f"@{key[0]}.{key[1]}"]
    todo = []
    doc_lines.append(f"{key[0]}.{key[1]}\t\t\t{escape(docs.get(key, ''))}")
    for gotype, tag, json_tag, field_doc, patch in fields:
        parts = tag.split(",")
        wire, num = parts[0], parts[1]
        name = next((p[5:] for p in parts if p.startswith("name=")), None)
        inline = "inline" in json_tag
        if name is None and not inline:
            raise SystemExit(f"no name in the protobuf tag {tag!r} of {key}")
        jname = json_tag.split(",")[0] or name
        pointer = gotype.startswith("*")
        omit = "omitempty" in json_tag or "omitzero" in json_tag
        t = gotype.lstrip("*")
        t = containers.get((key[0], t), t)
        repeated = t.startswith("[]") and t != "[]byte"
        if repeated:
            t = t[2:].lstrip("*")
        if t.startswith("map["):
            val = t[t.index("]") + 1:].lstrip("*")
            if containers.get((key[0], val)) == "[]string":
                kind = "M=L"  # a named []string is a message {repeated string items = 1}
            elif val == "[]byte":
                kind = "M=b"
            elif val.startswith("[]"):
                k, target = resolve(key[0], aliases, val[2:])
                kind = "M=" + (f"m={target}" if k == "m" else k) + "r"
            else:
                k, target = resolve(key[0], aliases, val)
                kind = "M=" + (f"m={target}" if k == "m" else k)
                if target:
                    todo.append(tuple(target.rsplit(".", 1)))
            flags = "-"
        else:
            if t == "[]byte":
                kind = "b"
            elif wire == "varint":
                kind = "B" if t == "bool" else "i"
            elif wire in ("fixed64", "fixed32"):
                kind = "f"
            else:
                k, target = resolve(key[0], aliases, t)
                kind = f"m={target}" if k == "m" else k
                if target:
                    todo.append(tuple(target.rsplit(".", 1)))
            flags = ("r" if repeated else "") + ("k" if pointer or not omit else "") + ("i" if inline else "")
        if inline:
            jname = "_"
        elif jname in ("-", ""):
            jname = name
        lines.append(f"{num} {jname} {kind} {flags or '-'}")
        if not inline:
            doc_lines.append(f"{key[0]}.{key[1]}\t{jname}\t{patch}\t{escape(field_doc)}")
    out.append("\n".join(lines))
    for t in todo:
        p, n = t[0], t[1]
        emit((p, n))


for r in ROOTS:
    emit(r)
print("# Generated by scripts/gen-proto-fields.py from kubernetes/api and kubernetes/apimachinery v0.33.13; do not edit.")
print("\n".join(out))
if len(sys.argv) > 3:
    with open(sys.argv[3], "w") as f:
        f.write("# Generated by scripts/gen-proto-fields.py from the Go doc comments of the same types; do not edit.\n")
        f.write("# MESSAGE<TAB>FIELD (empty: the type itself)<TAB>PATCH (patchStrategy[/patchMergeKey])<TAB>description (\\n: a line break)\n")
        f.write("\n".join(doc_lines) + "\n")
