# Test sources of core/engine (relative to tests/core/).
list(APPEND MITOSEG_CORE_TEST_SOURCES
)
