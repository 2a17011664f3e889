#!/usr/bin/env python3
"""The straightforward Python importer of an Apple Health export, as people
write it today: xml.etree.ElementTree.iterparse over export.xml (read from
the zip with zipfile, or the file itself) and the sqlite3 module, a batch of
rows per transaction.  It stores what `health-sync import apple-health`
stores (the same resources, ids, UTC times and payloads, numbers as
numbers), so that `make bench` compares the two on the same work and the
tests can compare their databases.

usage: apple_import.py EXPORT DATABASE   (DATABASE made by health-sync init-db)
"""
import datetime as dt
import hashlib
import json
import re
import sqlite3
import sys
import zipfile
import xml.etree.ElementTree as ET

BATCH = 8192
TEXT_ATTRS = {'sourceName', 'sourceVersion', 'device', 'type', 'unit', 'key', 'path'}
JSON_NUMBER = re.compile(r'-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?')
LOOSE_NUMBER = re.compile(r'[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?')
CHILD_KEYS = {'WorkoutStatistics': 'statistics', 'WorkoutEvent': 'events',
              'WorkoutRoute': 'routes', 'WorkoutActivity': 'activities', 'Record': 'records',
              'HeartRateVariabilityMetadataList': 'beats'}
UPSERT = ('INSERT INTO records (provider, resource, record_id, start_time, end_time,'
          ' source_updated_at, payload_json, fetched_at) VALUES (?,?,?,?,?,NULL,?,?)'
          ' ON CONFLICT(provider, resource, record_id) DO UPDATE SET'
          ' start_time=excluded.start_time, end_time=excluded.end_time,'
          ' payload_json=excluded.payload_json, fetched_at=excluded.fetched_at'
          ' WHERE records.payload_json IS NOT excluded.payload_json')


def number(v):
    """The JSON text of a number, or None."""
    if JSON_NUMBER.fullmatch(v):
        f = float(v)
        return v if f not in (float('inf'), float('-inf')) else None
    if not LOOSE_NUMBER.fullmatch(v):
        return None
    if re.fullmatch(r'[+-]?[0-9]+', v):
        n = int(v)
        return '-0' if n == 0 and v.startswith('-') else str(n)
    f = float(v)
    return repr(f) if f not in (float('inf'), float('-inf')) else None


def value(v, name):
    if name not in TEXT_ATTRS:
        n = number(v)
        if n is not None:
            return json.loads(n)
    return v


def snake(type_):
    name = type_
    if name.startswith('HK') and 'TypeIdentifier' in name:
        name = name.split('TypeIdentifier', 1)[1]
    elif name.startswith('HK'):
        name = name[2:]
    name = re.sub(r'(?<=[a-z0-9])(?=[A-Z])', '_', name)
    name = re.sub(r'(?<=[A-Z])(?=[A-Z][a-z])', '_', name)
    return name.lower()


def utc(s):
    return dt.datetime.strptime(s, '%Y-%m-%d %H:%M:%S %z').astimezone(dt.timezone.utc)


def to_dict(elem):
    d = {k: value(v, k) for k, v in elem.attrib.items()}
    meta = {}
    for c in elem:
        if c.tag == 'MetadataEntry':
            meta[c.get('key')] = value(c.get('value'), 'value')
    if meta:
        d['metadata'] = meta
    for c in elem:
        if c.tag == 'MetadataEntry':
            continue
        if c.tag == 'FileReference':
            d['file'] = c.get('path')
        elif c.tag == 'HeartRateVariabilityMetadataList':
            d.setdefault('beats', []).extend(to_dict(g) for g in c)
        else:
            d.setdefault(CHILD_KEYS.get(c.tag, c.tag), []).append(to_dict(c))
    return d


def row(elem):
    a = elem.attrib
    if elem.tag == 'ActivitySummary':
        day = a['dateComponents']
        return 'activity_summaries', day, day, None
    start, end = utc(a['startDate']), utc(a['endDate'])
    if elem.tag == 'Workout':
        resource = 'workouts'
        fields = ['workout', a.get('workoutActivityType'), a.get('sourceName')]
    else:
        resource = snake(a['type'])
        v = a.get('value')
        fields = [a['type'], a.get('sourceName'), a.get('sourceVersion')]
    iso = [t.strftime('%Y-%m-%dT%H:%M:%SZ') for t in (start, end)]
    fields += iso
    if elem.tag != 'Workout':
        fields += [(number(v) or v) if v is not None else None, a.get('unit')]
    key = '\x1f'.join(f or '' for f in fields)
    rid = start.strftime('%Y%m%dT%H%M%SZ-') + hashlib.sha256(key.encode()).hexdigest()[:16]
    return resource, rid, iso[0], iso[1]


def main():
    src, db_path = sys.argv[1], sys.argv[2]
    if zipfile.is_zipfile(src):
        zf = zipfile.ZipFile(src)
        name = next(n for n in zf.namelist() if n.split('/')[-1] == 'export.xml')
        f = zf.open(name)
    else:
        f = open(src, 'rb')
    db = sqlite3.connect(db_path)
    fetched = dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    rows, n, depth, root = [], 0, 0, None
    for event, elem in ET.iterparse(f, events=('start', 'end')):
        if event == 'start':
            if root is None:
                root = elem
            depth += 1
            continue
        depth -= 1
        if depth != 1 or elem.tag not in ('Record', 'Correlation', 'Workout', 'ActivitySummary'):
            continue
        resource, rid, start, end = row(elem)
        payload = json.dumps(to_dict(elem), ensure_ascii=False, separators=(',', ':'))
        rows.append(('apple_health', resource, rid, start, end, payload, fetched))
        n += 1
        root.clear()  # what was read is dropped, as the usual recipe does
        if len(rows) >= BATCH:
            with db:
                db.executemany(UPSERT, rows)
            rows = []
    with db:
        db.executemany(UPSERT, rows)
    db.close()
    print(f'{n} records', file=sys.stderr)


if __name__ == '__main__':
    main()
