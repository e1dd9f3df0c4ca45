# Extra cli_tests sources (relative to tests/app/), one list(APPEND) line per test file.
list(APPEND MITOSEG_CLI_TEST_SOURCES DemoCommandTest.cpp)
list(APPEND MITOSEG_CLI_TEST_SOURCES CliIoTest.cpp)
list(APPEND MITOSEG_CLI_TEST_SOURCES MeshCliTest.cpp)
list(APPEND MITOSEG_CLI_TEST_SOURCES EngineCliTest.cpp)
list(APPEND MITOSEG_CLI_TEST_SOURCES LoopCliTest.cpp)
list(APPEND MITOSEG_CLI_TEST_SOURCES ReliabilityCliTest.cpp HostileCorpusTest.cpp ../data/hostile/HostileCorpus.cpp)
list(APPEND MITOSEG_CLI_TEST_SOURCES DistCliTest.cpp)
list(APPEND MITOSEG_CLI_TEST_SOURCES OutOfCoreCliTest.cpp ../ui/CorruptTiff.cpp)
