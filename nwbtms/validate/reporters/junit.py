"""JUnit XML output: one test suite per file, one test case per check ID that ran into findings, plus one
passing case for a file without blocking findings. Blocking findings are ``<failure>`` s, non-blocking ones
go to ``<system-out>``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from nwbtms.validate.findings import ValidationReport


def render_junit(report: ValidationReport) -> str:
    """The report as JUnit XML (``<testsuites>``)."""
    suites = ET.Element("testsuites", name="nwbtms validate")
    total_failures = 0
    total_tests = 0
    for result in report.files:
        by_check = defaultdict(list)
        for f in report.findings:
            if f.file == result.path:
                by_check[f.check_id].append(f)
        suite = ET.SubElement(suites, "testsuite", name=result.path)
        tests = failures = 0
        for check_id, findings in sorted(by_check.items()):
            tests += 1
            case = ET.SubElement(suite, "testcase", classname=result.path, name=check_id)
            blocking = [f for f in findings if f.severity >= report.fail_on]
            body = "\n".join(f"{f.severity.name} {f.where()}: {f.message}" + (f"\nhint: {f.hint}" if f.hint else "")
                             for f in findings)
            if blocking:
                failures += 1
                failure = ET.SubElement(case, "failure", type=blocking[0].severity.name,
                                        message=blocking[0].message[:500])
                failure.text = body
            else:
                ET.SubElement(case, "system-out").text = body
        tests += 1
        ET.SubElement(suite, "testcase", classname=result.path, name="validated")
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("time", f"{result.duration_s:.3f}")
        total_tests += tests
        total_failures += failures
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def render_junit_failure(message: str) -> str:
    """JUnit XML for a run that validated nothing: one suite with one errored case saying why."""
    suites = ET.Element("testsuites", name="nwbtms validate", tests="1", failures="0", errors="1")
    suite = ET.SubElement(suites, "testsuite", name="nwbtms validate", tests="1", failures="0", errors="1",
                          time="0.000")
    case = ET.SubElement(suite, "testcase", classname="nwbtms validate", name="validated")
    ET.SubElement(case, "error", type="InputError", message=message[:500]).text = message
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
