#pragma once

// The S3 fixture process (tests/cpp/s3_fixture.py) for the tests that need
// a real S3 server: it starts moto_server on loopback with signature checking
// on, prints one JSON line (endpoint, bucket, keys) that becomes `info`, and
// answers one JSON command per line (see its serve()). Destroying the
// Fixture stops the server.

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace aqz_test {

using Json = nlohmann::json;

class Fixture
{
  public:
    Fixture(const std::string& python, const std::string& script)
    {
        int to_child[2];
        int from_child[2];
        if (pipe(to_child) != 0 || pipe(from_child) != 0) {
            throw std::runtime_error("pipe failed");
        }
        pid_ = fork();
        if (pid_ < 0) {
            throw std::runtime_error("fork failed");
        }
        if (pid_ == 0) {
            dup2(to_child[0], STDIN_FILENO);
            dup2(from_child[1], STDOUT_FILENO);
            for (int fd : { to_child[0], to_child[1], from_child[0], from_child[1] }) {
                close(fd);
            }
            execl(python.c_str(), python.c_str(), script.c_str(), static_cast<char*>(nullptr));
            std::perror(("cannot run " + python).c_str());
            _exit(127);
        }
        close(to_child[0]);
        close(from_child[1]);
        to_ = fdopen(to_child[1], "w");
        from_ = fdopen(from_child[0], "r");
        info = Json::parse(read_line("starting the S3 server"));
    }

    ~Fixture()
    {
        std::fclose(to_); // the fixture stops moto when its stdin closes
        std::fclose(from_);
        int status = 0;
        waitpid(pid_, &status, 0);
    }

    Json call(const Json& command)
    {
        const std::string line = command.dump() + "\n";
        std::fputs(line.c_str(), to_);
        std::fflush(to_);
        Json answer = Json::parse(read_line(command.dump()));
        if (!answer.value("ok", false)) {
            throw std::runtime_error("fixture: " + answer.value("error", std::string("?")));
        }
        return answer;
    }

    Json info;

  private:
    std::string read_line(const std::string& doing)
    {
        char* line = nullptr;
        std::size_t capacity = 0;
        const ssize_t n = getline(&line, &capacity, from_);
        std::string text = n > 0 ? std::string(line, n) : std::string();
        std::free(line);
        if (text.empty()) {
            throw std::runtime_error("the S3 fixture died while " + doing +
                                     " (its error is above)");
        }
        return text;
    }

    pid_t pid_ = -1;
    FILE* to_ = nullptr;
    FILE* from_ = nullptr;
};

} // namespace aqz_test
