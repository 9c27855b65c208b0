#!/usr/bin/env python3
"""gen_facts.py FACTS OUT PREFIX: the 82599 facts table (82599_facts.txt) as a C header.

PREFIX is the macro prefix: IXGBE_ for the model (which then needs no other
register header), IXF_ for the judge test (which includes the driver's
ixgbe_regs.h next to it). Descriptor unions are named PREFIX-lowercase +
the fact's name: ixgbe_adv_rx_desc for the model, ixf_adv_rx_desc for the judge.
"""
import re
import sys


def parse(path):
    facts = []
    for lineno, line in enumerate(open(path), 1):
        line = line.split('#', 1)[0].split()
        if not line:
            continue
        kind, name, args = line[0], line[1], line[2:]
        want = {'reg': 1, 'val': 1, 'array': 3, 'field': 2, 'size': 1}.get(kind)
        if want is None or len(args) != want:
            sys.exit(f'{path}:{lineno}: bad fact: {" ".join(line)}')
        facts.append((kind, name, [int(a, 0) for a in args]))
    return facts


def main():
    src, out, prefix = sys.argv[1:4]
    facts = parse(src)
    lower = prefix.lower()
    guard = f'{prefix}FACTS_H'
    lines = [f'/* Generated from {src.split("/")[-1]} by gen_facts.py: do not edit. */',
             f'#ifndef {guard}', f'#define {guard}', '', '#include <stdint.h>', '']
    counts = []
    for kind, name, a in facts:
        if kind in ('reg', 'val'):
            lines.append(f'#define {prefix}{name} 0x{a[0]:08x}u')
        elif kind == 'array':
            lines.append(f'#define {prefix}{name}(n) (0x{a[0]:05x}u + 0x{a[1]:x}u * (n))')
            counts.append(f'#define {prefix}{name}_COUNT {a[2]}u')
    lines += [''] + counts + ['']
    # Descriptor unions: each variant a struct of its fields in offset order.
    unions = {}
    for kind, name, a in facts:
        if kind == 'field':
            union, variant, field = name.split('.')
            unions.setdefault(union, {}).setdefault(variant, []).append((a[0], a[1], field))
    types = {1: 'uint8_t', 2: 'uint16_t', 4: 'uint32_t', 8: 'uint64_t'}
    sizes = {name: a[0] for kind, name, a in facts if kind == 'size'}
    for union, variants in unions.items():
        lines.append(f'union {lower}{union} {{')
        for variant, fields in variants.items():
            lines.append('\tstruct {')
            at = 0
            for off, size, field in sorted(fields):
                if off != at:
                    sys.exit(f'{src}: {union}.{variant}: a hole before {field}')
                lines.append(f'\t\t{types[size]} {field};')
                at = off + size
            lines.append(f'\t}} {variant};')
        lines.append('};')
        if union in sizes:
            lines.append(f'_Static_assert(sizeof(union {lower}{union}) == {sizes[union]}, '
                         f'"{union}: {sizes[union]} bytes");')
        lines.append('')
    lines.append(f'#endif /* {guard} */')
    open(out, 'w').write('\n'.join(lines) + '\n')


main()
