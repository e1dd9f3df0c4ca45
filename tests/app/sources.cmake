# Extra cli_tests sources (relative to tests/app/), one file per command.
list(APPEND MITOSEG_CLI_TEST_SOURCES
  DemoCommandTest.cpp
)
