UNIT_TESTS += test_bloom
test_bloom_SRCS := tests/unit/test_bloom.c hv/bloom.c lib/hash.c
