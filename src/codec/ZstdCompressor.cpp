#include "codec/ZstdCompressor.hpp"

#include "util/ZarrError.hpp"

#include <memory>
// For ZSTD_estimateCCtxSize_usingCParams (exported by the shared libzstd).
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

namespace zarr {
namespace {

/// One compression context per thread: creating one per chunk is costly and
/// a context may not be shared between threads.
ZSTD_CCtx*
thread_context()
{
    struct Free
    {
        void operator()(ZSTD_CCtx* context) const { ZSTD_freeCCtx(context); }
    };
    thread_local std::unique_ptr<ZSTD_CCtx, Free> context(ZSTD_createCCtx());
    if (!context) {
        fail(ZarrStatusCode_OutOfMemory, "cannot create a zstd context");
    }
    return context.get();
}

} // namespace

std::size_t
zstd_context_bytes(int level, std::size_t input_bytes)
{
    // The parameters ZSTD_compressCCtx picks for this level and input size
    // (the window and tables shrink to small inputs).
    const ZSTD_compressionParameters params = ZSTD_getCParams(level, input_bytes, 0);
    return ZSTD_estimateCCtxSize_usingCParams(params);
}

ZstdCompressor::ZstdCompressor(int level)
  : level_(level)
{
}

std::size_t
ZstdCompressor::max_compressed_size(std::size_t input_bytes) const
{
    return ZSTD_compressBound(input_bytes);
}

std::size_t
ZstdCompressor::working_memory_bytes(std::size_t input_bytes) const
{
    return zstd_context_bytes(level_, input_bytes);
}

std::size_t
ZstdCompressor::compress(const uint8_t* input,
                         std::size_t size,
                         uint8_t* output,
                         std::size_t capacity) const
{
    const std::size_t written =
      ZSTD_compressCCtx(thread_context(), output, capacity, input, size, level_);
    if (ZSTD_isError(written)) {
        fail(ZarrStatusCode_CompressionError,
             "zstd failed to compress a chunk of ",
             size,
             " bytes: ",
             ZSTD_getErrorName(written));
    }
    return written;
}

} // namespace zarr
