// cxx: C++ exceptions (throw/catch across frames, rethrow, destructors
// during unwinding, std exceptions from the library), std::string,
// std::vector, std::map and iostream formatting.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

static std::vector<std::string> log_lines;

struct Guard {
    std::string name;
    explicit Guard(std::string n) : name(std::move(n)) { log_lines.push_back("enter " + name); }
    ~Guard() { log_lines.push_back("leave " + name); }
};

struct MyError : std::runtime_error {
    int code;
    MyError(const std::string &what, int c) : std::runtime_error(what), code(c) {}
};

__attribute__((noinline)) static int level3(int x)
{
    Guard g("level3");
    if (x > 2) throw MyError("too big: " + std::to_string(x), x);
    if (x < 0) throw x;
    return x * 10;
}

__attribute__((noinline)) static int level2(int x)
{
    Guard g("level2");
    return level3(x) + 1;
}

__attribute__((noinline)) static int level1(int x)
{
    Guard g("level1");
    try {
        return level2(x);
    } catch (const MyError &e) {
        log_lines.push_back(std::string("level1 saw ") + e.what() + ", rethrowing");
        throw;
    }
}

static void flush_log()
{
    for (const auto &l : log_lines) std::cout << "  " << l << '\n';
    log_lines.clear();
}

int main()
{
    for (int x : {1, 5, -7}) {
        try {
            int r = level1(x);
            std::cout << "level1(" << x << ") = " << r << '\n';
        } catch (const MyError &e) {
            std::cout << "caught MyError code=" << e.code << " what=" << e.what() << '\n';
        } catch (int v) {
            std::cout << "caught int " << v << '\n';
        }
        flush_log();
    }

    // exceptions thrown by the standard library
    std::vector<int> v{1, 2, 3};
    try {
        std::cout << v.at(10) << '\n';
    } catch (const std::out_of_range &) {
        std::cout << "caught out_of_range from vector::at\n";
    }
    try {
        std::string s = "abc";
        s.substr(10);
    } catch (const std::exception &) {
        std::cout << "caught std::exception from string::substr\n";
    }
    try {
        (void)std::stoi("not a number");
    } catch (const std::invalid_argument &) {
        std::cout << "caught invalid_argument from stoi\n";
    }
    try {
        throw std::string("a thrown string");
    } catch (...) {
        std::cout << "caught (...)\n";
    }
    try {
        try {
            throw std::logic_error("inner");
        } catch (std::exception &e) {
            throw std::runtime_error(std::string("outer wraps ") + e.what());
        }
    } catch (std::runtime_error &e) {
        std::cout << "nested: " << e.what() << '\n';
    }

    // containers and algorithms
    std::vector<std::string> words{"pear", "apple", "fig", "banana", "cherry", "apple", "date"};
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    std::ostringstream joined;
    for (size_t i = 0; i < words.size(); i++) joined << (i ? "," : "") << words[i];
    std::cout << "sorted unique: " << joined.str() << '\n';

    std::map<std::string, int> counts;
    const std::string text = "the quick brown fox jumps over the lazy dog the end";
    std::istringstream in(text);
    for (std::string w; in >> w;) counts[w]++;
    std::cout << "map:";
    for (const auto &kv : counts) std::cout << ' ' << kv.first << '=' << kv.second;
    std::cout << '\n';

    std::vector<long long> sq(1000);
    std::iota(sq.begin(), sq.end(), 1);
    for (auto &x : sq) x *= x;
    std::cout << "sum of squares 1..1000 = " << std::accumulate(sq.begin(), sq.end(), 0LL) << '\n';

    auto up = std::make_unique<std::string>(40, '=');
    std::shared_ptr<std::vector<int>> sp = std::make_shared<std::vector<int>>(5, 7);
    auto sp2 = sp;
    std::cout << *up << " use_count=" << sp.use_count() << " sum=" << std::accumulate(sp2->begin(), sp2->end(), 0) << '\n';

    std::string s = "Hello";
    s += ", C++ world";
    s.replace(0, 5, "Goodbye");
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
    std::cout << s << " (len " << s.size() << ", find WORLD at " << s.find("WORLD") << ")\n";

    std::cout << std::fixed << std::setprecision(3) << 3.14159265 << ' ' << std::scientific
              << 12345.678 << ' ' << std::defaultfloat << 0.1 << '\n';
    std::cout << std::hex << 255 << ' ' << std::oct << 8 << ' ' << std::dec << std::setw(6)
              << std::setfill('*') << 42 << '\n';
    std::cerr << "stderr from cerr\n";
    std::cout << "done" << std::endl;
    return 0;
}
