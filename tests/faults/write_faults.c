/* An LD_PRELOAD shim that makes chosen write calls fail, to test what the
 * engine does when storage fails (issue: "a store that never claims what it
 * cannot give back").
 *
 * It wraps the calls that change files (write, pwrite, writev, pwritev,
 * ftruncate, rename) on paths that contain a chosen substring, counts them,
 * and fails the chosen ones with a chosen errno (ENOSPC, as a full disk
 * does, fails no ftruncate: shrinking a file needs no space). The test program controls
 * it through the functions at the end (with ctypes from Python):
 *
 *   aqz_faults_filter("/store")    count only calls on paths containing this
 *   aqz_faults_arm(at, count, ENOSPC, partial)
 *       from now on, fail the at-th counted call (1-based) and the count-1
 *       after it (count < 0: every one after it). With `partial`, the first
 *       failing write first writes half of its bytes and returns that (a
 *       short write, as a filling disk does), the next one fails.
 *   aqz_faults_calls()             counted calls since the last arm
 *   aqz_faults_failed()            calls failed since the last arm
 *
 * Not part of the library: built by the tests (tests/python/faults.py). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static char filter_[PATH_MAX];
static atomic_long calls_;
static atomic_long failed_;
static atomic_long fail_at_;    /* 0: never */
static atomic_long fail_count_; /* < 0: forever */
static atomic_int error_;
static atomic_int partial_;

void
aqz_faults_filter(const char* substring)
{
    snprintf(filter_, sizeof filter_, "%s", substring ? substring : "");
}

void
aqz_faults_arm(long at, long count, int error, int partial)
{
    atomic_store(&fail_at_, 0);
    atomic_store(&calls_, 0);
    atomic_store(&failed_, 0);
    atomic_store(&fail_count_, count);
    atomic_store(&error_, error);
    atomic_store(&partial_, partial);
    atomic_store(&fail_at_, at);
}

long
aqz_faults_calls(void)
{
    return atomic_load(&calls_);
}

long
aqz_faults_failed(void)
{
    return atomic_load(&failed_);
}

static int
path_matches(const char* path)
{
    return filter_[0] != '\0' && path && strstr(path, filter_) != NULL;
}

static int
fd_matches(int fd)
{
    char link[64];
    char path[PATH_MAX];
    if (filter_[0] == '\0') {
        return 0;
    }
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t length = readlink(link, path, sizeof path - 1);
    if (length <= 0) {
        return 0;
    }
    path[length] = '\0';
    return path_matches(path);
}

/* What to do with a counted call: 0 = run it, 1 = fail it, 2 = write part
 * of it, then fail the next. */
static int
decide(void)
{
    const long call = atomic_fetch_add(&calls_, 1) + 1;
    const long at = atomic_load(&fail_at_);
    const long count = atomic_load(&fail_count_);
    if (at <= 0 || call < at || (count >= 0 && call >= at + count)) {
        return 0;
    }
    atomic_fetch_add(&failed_, 1);
    return call == at && atomic_load(&partial_) ? 2 : 1;
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t
write(int fd, const void* data, size_t size)
{
    if (fd_matches(fd)) {
        const int action = decide();
        if (action == 2 && size > 1) {
            return REAL(write)(fd, data, size / 2);
        }
        if (action != 0) {
            errno = atomic_load(&error_);
            return -1;
        }
    }
    return REAL(write)(fd, data, size);
}

ssize_t
pwrite(int fd, const void* data, size_t size, off_t offset)
{
    if (fd_matches(fd)) {
        const int action = decide();
        if (action == 2 && size > 1) {
            return REAL(pwrite)(fd, data, size / 2, offset);
        }
        if (action != 0) {
            errno = atomic_load(&error_);
            return -1;
        }
    }
    return REAL(pwrite)(fd, data, size, offset);
}

ssize_t
pwrite64(int fd, const void* data, size_t size, off_t offset)
{
    return pwrite(fd, data, size, offset);
}

/* The first half of `vectors` (at least one byte), as a shorter list. */
static int
first_half(const struct iovec* vectors, int count, struct iovec* half)
{
    size_t total = 0;
    for (int i = 0; i < count; ++i) {
        total += vectors[i].iov_len;
    }
    size_t left = total / 2 > 0 ? total / 2 : total;
    int used = 0;
    for (int i = 0; i < count && left > 0; ++i) {
        half[used] = vectors[i];
        if (half[used].iov_len > left) {
            half[used].iov_len = left;
        }
        left -= half[used].iov_len;
        ++used;
    }
    return used;
}

static ssize_t
vector_write(int fd, const struct iovec* vectors, int count, off_t offset, int positional)
{
    if (fd_matches(fd)) {
        const int action = decide();
        if (action == 2 && count > 0 && count <= IOV_MAX) {
            struct iovec half[IOV_MAX];
            const int used = first_half(vectors, count, half);
            return positional ? REAL(pwritev)(fd, half, used, offset)
                              : REAL(writev)(fd, half, used);
        }
        if (action != 0) {
            errno = atomic_load(&error_);
            return -1;
        }
    }
    return positional ? REAL(pwritev)(fd, vectors, count, offset)
                      : REAL(writev)(fd, vectors, count);
}

ssize_t
writev(int fd, const struct iovec* vectors, int count)
{
    return vector_write(fd, vectors, count, 0, 0);
}

ssize_t
pwritev(int fd, const struct iovec* vectors, int count, off_t offset)
{
    return vector_write(fd, vectors, count, offset, 1);
}

ssize_t
pwritev64(int fd, const struct iovec* vectors, int count, off_t offset)
{
    return vector_write(fd, vectors, count, offset, 1);
}

int
ftruncate(int fd, off_t size)
{
    /* A full disk still lets a file shrink: ENOSPC fails writes only. */
    if (atomic_load(&error_) != ENOSPC && fd_matches(fd) && decide() != 0) {
        errno = atomic_load(&error_);
        return -1;
    }
    return REAL(ftruncate)(fd, size);
}

int
ftruncate64(int fd, off_t size)
{
    return ftruncate(fd, size);
}

int
rename(const char* from, const char* to)
{
    if (path_matches(to) && decide() != 0) {
        errno = atomic_load(&error_);
        return -1;
    }
    return REAL(rename)(from, to);
}
