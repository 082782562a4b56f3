"""segvisor's system-test harness: scenarios, engines, process control, judging.

tools/runner.py is the command line; these modules hold one concept each so
that they can be read (and unit-tested) apart.
"""
