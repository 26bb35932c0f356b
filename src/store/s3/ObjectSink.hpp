#pragma once

#include "store/Sink.hpp"
#include "store/s3/Client.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zarr::s3 {

/// One S3 object being written, in order: bytes gather in a part buffer;
/// each full part goes up as a part of a multipart upload (started with
/// the first), and close() sends the rest, then completes the upload; an
/// object that never filled a part goes up in one PUT at close(). Nothing
/// is visible at the key before close() succeeds, and an upload that is
/// not completed is aborted (discard(), or the destructor), so that none is
/// left dangling. Parts are numbered by position.
///
/// Uploads run on the thread that writes (a worker of the stream's pool):
/// while a part goes up, that worker waits, which is the back-pressure
/// that keeps memory at one part per object being written.
class ObjectSink final : public Sink
{
  public:
    ObjectSink(Client& client, std::string key, uint64_t part_bytes);
    ~ObjectSink() override;

    ObjectSink(const ObjectSink&) = delete;
    ObjectSink& operator=(const ObjectSink&) = delete;

    /// `offset` must be where the last write ended.
    void write(uint64_t offset, std::span<const ByteSpan> pieces) override;
    void preallocate(uint64_t, uint64_t) override {}
    void truncate(uint64_t size) override;
    void close() override;
    void discard() override;

  private:
    void send_part();

    Client& client_;
    std::string key_;
    uint64_t part_bytes_;
    std::vector<uint8_t> part_; // bytes not yet sent
    uint64_t written_ = 0;
    std::optional<std::string> upload_id_;
    std::vector<std::string> etags_; // of parts 1, 2, ...
    bool done_ = false;
};

} // namespace zarr::s3
