#include "store/s3/ObjectSink.hpp"

#include "util/Logger.hpp"
#include "util/ZarrError.hpp"

#include <algorithm>
#include <cstring>

namespace zarr::s3 {

ObjectSink::ObjectSink(Client& client, std::string key, uint64_t part_bytes)
  : client_(client)
  , key_(std::move(key))
  , part_bytes_(part_bytes)
{
}

ObjectSink::~ObjectSink()
{
    if (!done_) {
        try {
            discard();
        } catch (const std::exception& error) {
            log_warning("could not abort the upload of '", key_, "': ", error.what());
        }
    }
}

void
ObjectSink::write(uint64_t offset, std::span<const ByteSpan> pieces)
{
    if (done_) {
        fail(ZarrStatusCode_InternalError, "write to the completed object '", key_, "'");
    }
    if (offset != written_) {
        fail(ZarrStatusCode_InternalError,
             "object '",
             key_,
             "' takes writes in order: offset ",
             offset,
             " after ",
             written_,
             " bytes");
    }
    for (const auto& piece : pieces) {
        std::size_t done = 0;
        while (done < piece.size) {
            const std::size_t room = std::size_t(part_bytes_ - part_.size());
            const std::size_t take = std::min(room, piece.size - done);
            if (part_.size() + take > part_.capacity()) {
                // Grows as a vector does, but never past one part: the
                // memory estimate counts one part per object.
                part_.reserve(std::min<std::size_t>(
                  std::size_t(part_bytes_), std::max(2 * part_.capacity(), part_.size() + take)));
            }
            part_.insert(part_.end(), piece.data + done, piece.data + done + take);
            done += take;
            if (part_.size() == part_bytes_) {
                send_part();
            }
        }
        written_ += piece.size;
    }
}

void
ObjectSink::send_part()
{
    if (!upload_id_) {
        upload_id_ = client_.create_multipart_upload(key_);
    }
    const ByteSpan body{ part_.data(), part_.size() };
    etags_.push_back(client_.upload_part(
      key_, *upload_id_, int(etags_.size() + 1), std::span(&body, 1)));
    part_.clear();
}

void
ObjectSink::truncate(uint64_t)
{
    fail(ZarrStatusCode_InternalError, "an S3 object cannot be truncated ('", key_, "')");
}

void
ObjectSink::close()
{
    if (done_) {
        return;
    }
    if (!upload_id_) {
        const ByteSpan body{ part_.data(), part_.size() };
        client_.put_object(key_, std::span(&body, 1));
    } else {
        if (!part_.empty()) {
            send_part(); // the last part may be smaller than the others
        }
        client_.complete_multipart_upload(key_, *upload_id_, etags_);
    }
    done_ = true;
    part_ = {};
}

void
ObjectSink::discard()
{
    done_ = true;
    part_ = {};
    if (upload_id_) {
        const std::string upload = *upload_id_;
        upload_id_.reset();
        client_.abort_multipart_upload(key_, upload);
    }
}

} // namespace zarr::s3
