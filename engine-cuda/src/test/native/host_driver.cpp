// Runs kernels.cu on the CPU for the Java tests (native-tests HostKernels): reads a job file
// (buffers, then launches with their arguments), runs each launch under cuda_host.h's
// emulation, writes the buffers back. All numbers little-endian.
//   buffers:  int32 count, then per buffer: int64 length (32-bit words), the words
//   launches: int32 count, then per launch: int32 name length, name, int64 grid, int32 block,
//             int32 argc, then per argument a tag byte and its value:
//             'p' int32 buffer (-1 = null) + int64 word offset, 'i' int32, 'l' int64, 'f' float,
//             'd' double, 's' int32 n + n int32 (a struct of ints by value)
// usage: host_driver JOB OUT
#include "cuda_host.h"
#include "../../main/cuda/kernels.cu"

#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

namespace {

std::vector<std::vector<uint32_t>> buffers;

struct Reader {
    FILE* f;
    template <typename T> T raw() {
        T v;
        if (std::fread(&v, sizeof v, 1, f) != 1) throw std::runtime_error("job file truncated");
        return v;
    }
    std::string name;  // kernel being decoded, for messages
    char tag() { return raw<char>(); }
    void expect(char want, const char* type) {
        char t = tag();
        if (t != want) throw std::runtime_error(name + ": argument tag '" + std::string(1, t) + "' where the kernel takes " + type);
    }
    template <typename T> T get() {
        if constexpr (std::is_pointer_v<T>) {
            expect('p', "a pointer");
            int b = raw<int32_t>();
            long long off = raw<int64_t>();
            if (b < 0) return nullptr;
            if (b >= (int)buffers.size() || off < 0 || off > (long long)buffers[b].size())
                throw std::runtime_error(name + ": bad buffer argument");
            using E = std::remove_cv_t<std::remove_pointer_t<T>>;
            static_assert(sizeof(E) == 4, "kernels take 32-bit element pointers");
            return reinterpret_cast<T>(buffers[b].data() + off);
        } else if constexpr (std::is_same_v<T, int>) {
            expect('i', "an int");
            return raw<int32_t>();
        } else if constexpr (std::is_same_v<T, long long> || std::is_same_v<T, unsigned long long>) {
            expect('l', "a 64-bit integer");
            return (T)raw<int64_t>();
        } else if constexpr (std::is_same_v<T, float>) {
            expect('f', "a float");
            return raw<float>();
        } else if constexpr (std::is_same_v<T, double>) {
            expect('d', "a double");
            return raw<double>();
        } else {
            static_assert(std::is_trivially_copyable_v<T> && sizeof(T) % 4 == 0, "structs of ints");
            expect('s', "a struct");
            int n = raw<int32_t>();
            if (n * 4 != (int)sizeof(T))
                throw std::runtime_error(name + ": struct of " + std::to_string(n) + " ints where the kernel takes " +
                                         std::to_string(sizeof(T) / 4));
            T v;
            if (std::fread(&v, sizeof v, 1, f) != 1) throw std::runtime_error("job file truncated");
            return v;
        }
    }
};

// Kernels whose threads must run concurrently (they call __syncthreads).
const std::set<std::string> barrierKernels = {"reduce_block", "batch_norm_train", "batch_norm_backward",
    "layer_norm_forward", "layer_norm_backward_input", "channel_mask_grad_mask"};

void run(const std::string& name, long long grid, int block, const std::function<void()>& body) {
    gridDim.x = (unsigned)grid;
    blockDim.x = (unsigned)block;
    bool threaded = barrierKernels.count(name) > 0;
    for (long long b = 0; b < grid; b++) {
        if (!threaded) {
            for (int t = 0; t < block; t++) {
                blockIdx.x = (unsigned)b;
                threadIdx.x = (unsigned)t;
                body();
            }
            continue;
        }
        std::barrier<> bar(block);
        host_block_barrier = &bar;
        std::vector<std::thread> threads;
        for (int t = 0; t < block; t++)
            threads.emplace_back([&, t, b] {
                blockIdx.x = (unsigned)b;
                threadIdx.x = (unsigned)t;
                body();
            });
        for (auto& th : threads) th.join();
        host_block_barrier = nullptr;
    }
}

template <typename... P> void launch(void (*kernel)(P...), Reader& r, long long grid, int block, int argc) {
    if (argc != (int)sizeof...(P))
        throw std::runtime_error(r.name + ": " + std::to_string(argc) + " arguments where the kernel takes " +
                                 std::to_string(sizeof...(P)));
    std::tuple<P...> args{r.get<P>()...};  // braces: arguments decoded left to right
    run(r.name, grid, block, [&] { std::apply(kernel, args); });
}

#define K(name) {#name, [](Reader& r, long long g, int b, int argc) { launch(name, r, g, b, argc); }}
const std::map<std::string, std::function<void(Reader&, long long, int, int)>> kernels = {
    K(int_to_float), K(unary_forward), K(unary_backward), K(binary_same_shape), K(binary_broadcast),
    K(where_select), K(reduce_sequential), K(reduce_block), K(argmax_kernel), K(softmax_forward),
    K(softmax_backward), K(cross_entropy_forward), K(cross_entropy_backward), K(im2col_kernel),
    K(max_pool_forward), K(max_pool_backward), K(avg_pool_forward), K(avg_pool_backward),
    K(batch_norm_train), K(batch_norm_infer), K(batch_norm_backward), K(layer_norm_forward),
    K(layer_norm_backward_input), K(layer_norm_backward_params), K(channel_mask), K(channel_mask_grad_mask),
    K(index_select), K(index_add), K(copy_blocks), K(permute_kernel), K(sgd_update), K(adamw_update),
    K(random_fill)};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: host_driver JOB OUT\n");
        return 2;
    }
    try {
        FILE* in = std::fopen(argv[1], "rb");
        if (!in) throw std::runtime_error(std::string("cannot open ") + argv[1]);
        Reader r{in};
        int nb = r.raw<int32_t>();
        buffers.resize(nb);
        for (auto& b : buffers) {
            b.resize(r.raw<int64_t>());
            if (!b.empty() && std::fread(b.data(), 4, b.size(), in) != b.size()) throw std::runtime_error("job file truncated");
        }
        int nl = r.raw<int32_t>();
        for (int l = 0; l < nl; l++) {
            int len = r.raw<int32_t>();
            r.name.assign(len, '\0');
            if (std::fread(r.name.data(), 1, len, in) != (size_t)len) throw std::runtime_error("job file truncated");
            long long grid = r.raw<int64_t>();
            int block = r.raw<int32_t>();
            int argc2 = r.raw<int32_t>();
            auto k = kernels.find(r.name);
            if (k == kernels.end()) throw std::runtime_error("no kernel " + r.name);
            k->second(r, grid, block, argc2);
        }
        std::fclose(in);
        FILE* out = std::fopen(argv[2], "wb");
        if (!out) throw std::runtime_error(std::string("cannot write ") + argv[2]);
        for (auto& b : buffers)
            if (!b.empty()) std::fwrite(b.data(), 4, b.size(), out);
        std::fclose(out);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "host_driver: %s\n", e.what());
        return 1;
    }
    return 0;
}
