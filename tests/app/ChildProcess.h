#pragma once
// Runs a program as a child process under limits, for tests that must see how it ends: exit
// status or signal, its output (stdout and stderr together), peak RSS and wall time.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace mitoseg::test {

struct ChildResult {
    bool exited = false;         ///< ended by exit(); else by a signal
    int exitCode = -1;
    int signal = 0;
    bool timedOut = false;       ///< killed (SIGKILL) by us after the time cap
    std::string output;          ///< stdout + stderr
    long maxRssKb = 0;
    double seconds = 0;
};

/// Runs argv[0] with `args`; the child gets RLIMIT_AS = `addressSpaceBytes` (0 = unlimited; always
/// unlimited in a MITOSEG_SANITIZE build, where callers check maxRssKb) and is killed after
/// `timeoutSeconds`. `env` ("NAME=value") is added to (or overrides) the parent's environment.
/// `onStart(pid)` runs in the parent right after the fork.
template <class OnStart>
ChildResult runChild(const std::vector<std::string>& argv, std::uint64_t addressSpaceBytes, double timeoutSeconds,
                     OnStart onStart, const std::vector<std::string>& env = {})
{
    ChildResult r;
    int pipeFd[2];
    if (::pipe2(pipeFd, O_CLOEXEC) != 0)
        return r;
    std::vector<char*> cargv;
    for (const auto& a : argv)
        cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    // The environment is built here, before the fork: the child of a threaded parent must not allocate.
    std::vector<char*> cenv;
    for (char** e = environ; *e; ++e) {
        const std::string_view entry(*e);
        const auto name = entry.substr(0, entry.find('=') + 1);
        bool overridden = false;
        for (const auto& x : env)
            overridden = overridden || std::string_view(x).substr(0, x.find('=') + 1) == name;
        if (!overridden)
            cenv.push_back(*e);
    }
    for (const auto& x : env)
        cenv.push_back(const_cast<char*>(x.c_str()));
    cenv.push_back(nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(pipeFd[1], 1);
        ::dup2(pipeFd[1], 2);
#ifdef MITOSEG_SANITIZE
        addressSpaceBytes = 0;   // ASan reserves terabytes of shadow address space: cap RSS instead
#endif
        if (addressSpaceBytes > 0) {
            struct rlimit lim{addressSpaceBytes, addressSpaceBytes};
            ::setrlimit(RLIMIT_AS, &lim);
        }
        struct rlimit core{0, 0};
        ::setrlimit(RLIMIT_CORE, &core);
        ::execve(cargv[0], cargv.data(), cenv.data());
        ::_exit(127);
    }
    ::close(pipeFd[1]);
    onStart(pid);
    ::fcntl(pipeFd[0], F_SETFL, O_NONBLOCK);
    int status = 0;
    struct rusage usage{};
    char buf[4096];
    for (;;) {
        ssize_t n;
        while ((n = ::read(pipeFd[0], buf, sizeof buf)) > 0)
            r.output.append(buf, static_cast<std::size_t>(n));
        const pid_t done = ::wait4(pid, &status, WNOHANG, &usage);
        if (done == pid)
            break;
        if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > timeoutSeconds && !r.timedOut) {
            r.timedOut = true;
            ::kill(pid, SIGKILL);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ssize_t n;
    while ((n = ::read(pipeFd[0], buf, sizeof buf)) > 0)
        r.output.append(buf, static_cast<std::size_t>(n));
    ::close(pipeFd[0]);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.maxRssKb = usage.ru_maxrss;
    r.exited = WIFEXITED(status);
    r.exitCode = r.exited ? WEXITSTATUS(status) : -1;
    r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return r;
}

inline ChildResult runChild(const std::vector<std::string>& argv, std::uint64_t addressSpaceBytes, double timeoutSeconds,
                            const std::vector<std::string>& env = {})
{
    return runChild(argv, addressSpaceBytes, timeoutSeconds, [](pid_t) {}, env);
}

}  // namespace mitoseg::test
