# Extra test sources of cli_tests (relative to tests/app/). Each helper appends its own line.
list(APPEND MITOSEG_CLI_TEST_SOURCES MeshCliTest.cpp)
