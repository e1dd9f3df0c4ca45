# Extra cli_tests sources, one list(APPEND) per area.
list(APPEND MITOSEG_CLI_TEST_SOURCES CliIoTest.cpp)
