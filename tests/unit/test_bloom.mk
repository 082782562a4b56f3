UNIT_TESTS += test_bloom
test_bloom_SRCS := tests/unit/test_bloom.c hv/dseg/bloom.c lib/hash.c
