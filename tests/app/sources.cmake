# Extra cli_tests sources (relative to tests/app), one per line.
list(APPEND MITOSEG_CLI_TEST_SOURCES EngineCliTest.cpp)
