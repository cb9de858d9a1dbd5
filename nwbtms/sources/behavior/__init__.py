"""Behaviour scores: tests (tail suspension, forced swim, sucrose preference, open field, ...) with their scored
measures, one row per test of a subject (:mod:`nwbtms.sources.behavior.csv_table`)."""

from nwbtms.sources.behavior.csv_table import BehaviorScores, BehaviorTest, read_behavior_csv

__all__ = ["BehaviorScores", "BehaviorTest", "read_behavior_csv"]
