#pragma once

#include "spec/CompressionSpec.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>

namespace zarr {

/// Compresses one chunk's bytes. Implementations are stateless or keep
/// per-thread state, so one instance serves all worker threads at once.
class ChunkCompressor
{
  public:
    virtual ~ChunkCompressor() = default;

    /// Largest output `compress` can produce for `input_bytes` of input.
    virtual std::size_t max_compressed_size(std::size_t input_bytes) const = 0;

    /// Compresses `size` bytes from `input` into `output` (capacity at least
    /// max_compressed_size(size)); returns the compressed size. Throws
    /// ZarrError(CompressionError) on failure.
    virtual std::size_t compress(const uint8_t* input,
                                 std::size_t size,
                                 uint8_t* output,
                                 std::size_t capacity) const = 0;

    /// Memory one thread holds while it compresses chunks of `input_bytes`
    /// (codec contexts and tables, beyond the input and the output), for
    /// the memory estimate: Zstd at its high levels needs hundreds of MiB.
    virtual std::size_t working_memory_bytes(std::size_t input_bytes) const = 0;

    /// The compressor for `spec`, items of `item_size` bytes.
    static std::unique_ptr<ChunkCompressor> create(const CompressionSpec& spec,
                                                   std::size_t item_size);
};

} // namespace zarr
