#include "TestSupport.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

namespace mitoseg::test {

ScratchDir::ScratchDir()
{
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "scratch";
    for (char& c : name)
        if (c == '/')
            c = '_';
    path_ = std::filesystem::temp_directory_path() /
            ("mitoseg-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + name);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir()
{
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::filesystem::path lucchiFile(const std::string& name)
{
    std::filesystem::path p = std::filesystem::path(MITOSEG_SHARED_DATA) / "lucchi" / name;
    if (!std::filesystem::exists(p)) {
        ADD_FAILURE() << "The real EPFL volume is missing: " << p
                      << " does not exist. Tests expect ../shared/data/lucchi beside the checkout "
                         "(or configure with -DMITOSEG_SHARED_DATA=<folder holding lucchi/>).";
        return {};
    }
    return p;
}

std::filesystem::path peerScript() { return std::filesystem::path(MITOSEG_PEER); }

int runCommand(const std::string& command, std::string* output)
{
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe)
        return -1;
    std::array<char, 4096> buf{};
    std::string out;
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0)
        out.append(buf.data(), n);
    int status = ::pclose(pipe);
    if (output)
        *output = out;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int freeLoopbackPort()
{
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(s);
    return ntohs(a.sin_port);
}

}  // namespace mitoseg::test
