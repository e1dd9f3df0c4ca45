# Sources of the mitoseg CLI library (relative to app/). One file per command.
set(MITOSEG_CLI_SOURCES
  cli/Args.cpp
  cli/Cli.cpp
  cli/CmdInfo.cpp
  cli/CmdDemo.cpp
  cli/CmdTrain.cpp
  cli/CmdPredict.cpp
  cli/CmdCalibrate.cpp
  cli/CmdAverage.cpp
  cli/CmdEvaluate.cpp
  cli/CmdMesh.cpp
  cli/CmdBenchLoad.cpp
  cli/CmdBenchLoop.cpp
  cli/CmdBenchTrain.cpp
  cli/CmdBenchPredict.cpp
  cli/CmdBenchMesh.cpp
)
