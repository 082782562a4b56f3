UNIT_TESTS += test_trapwin
test_trapwin_SRCS := tests/unit/test_trapwin.c hv/model/trapwin.c hv/mem/nested.c hv/mem/gmap.c tests/unit/arena.c
