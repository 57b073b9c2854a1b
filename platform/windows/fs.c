/* fs.c (Windows) — the native wqi_fs (src/fs.h): CreateFileW, ReadFile
 * and WriteFile at explicit offsets, FlushFileBuffers,
 * SetFileInformationByHandle, MoveFileExW, DeleteFileW, FindFirstFileW
 * and LockFileEx.
 *
 * Paths arrive as UTF-8 with '/' (or '\\') separators and are converted
 * to UTF-16 with '\\'. They are not given the "\\?\" prefix, so a path
 * is limited to MAX_PATH (260) characters unless the process is long-path
 * aware; the data directories workqd uses are far shorter.
 *
 * Sharing: every file is opened with FILE_SHARE_READ | FILE_SHARE_WRITE |
 * FILE_SHARE_DELETE, so that, as on POSIX, a file may be opened twice (a
 * reader beside the writer) and renamed or removed while it is open (the
 * journal renames a file it still holds). What stays different from
 * POSIX, because Windows keeps a name while a handle is open on it:
 *   - rename onto a name whose file is open fails with WQ_EACCES (an open
 *     file cannot be replaced); renaming an open file away works;
 *   - remove of an open file succeeds, but unless the system deletes
 *     POSIX-style (recent Windows 10 and later on NTFS) the name stays
 *     taken ("delete pending") until the last handle closes, and creating
 *     it again fails until then (Windows: WQ_EACCES; Wine: WQ_EEXIST).
 * Handles are never inheritable (NULL security attributes), and new files
 * get the directory's inheritable ACEs (the data directory's protected
 * DACL).
 */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include "alloc.h"
#include "fs.h"

/* The most one ReadFile or WriteFile is asked to move (a DWORD count). */
#define IO_CHUNK ((DWORD)1 << 30)

/* The byte LockFileEx locks: far past any end of file. Windows byte-range
 * locks are mandatory — a locked byte cannot be read by another handle —
 * so a lock at the start would stop anyone reading the lock file. */
#define LOCK_OFFSET_HIGH 0x40000000u

/* wqi_file is opaque in fs.h; here it is one of these. */
struct win_file {
    HANDLE h;
};

static struct win_file *wf(wqi_file *f)
{
    return (struct win_file *)(void *)f;
}

static wq_err last_error(void)
{
    return wq_err_from_os((long)GetLastError());
}

/* path as UTF-16 with '\\', NUL-terminated, in a wqi_malloc block
 * (*out, the caller's). Errors: WQ_EINVAL (empty, not UTF-8), WQ_ENOMEM. */
static wq_err wide_path(const char *path, WCHAR **out)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0') {
        return WQ_EINVAL;
    }
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL, 0);
    if (n <= 0) {
        return WQ_EINVAL;
    }
    WCHAR *w = wqi_malloc((size_t)n * sizeof *w);
    if (w == NULL) {
        return WQ_ENOMEM;
    }
    if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, n) != n) {
        wqi_free(w);
        return WQ_EINVAL;
    }
    for (int i = 0; i < n; i++) {
        if (w[i] == L'/') {
            w[i] = L'\\';
        }
    }
    *out = w;
    return WQ_OK;
}

static wq_err make_file(HANDLE h, wqi_file **out)
{
    struct win_file *p = wqi_malloc(sizeof *p);
    if (p == NULL) {
        CloseHandle(h);
        return WQ_ENOMEM;
    }
    p->h = h;
    *out = (wqi_file *)(void *)p;
    return WQ_OK;
}

static HANDLE create_file(const WCHAR *path, DWORD disposition)
{
    return CreateFileW(path, GENERIC_READ | GENERIC_WRITE,
                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, disposition,
                       FILE_ATTRIBUTE_NORMAL, NULL);
}

static wq_err fs_open(wqi_fs *fs, const char *path, unsigned flags, wqi_file **out)
{
    (void)fs;
    if (out != NULL) {
        *out = NULL;
    }
    if (out == NULL || (flags & ~(WQI_FS_CREATE | WQI_FS_EXCL | WQI_FS_TRUNC)) != 0 ||
        ((flags & WQI_FS_EXCL) && !(flags & WQI_FS_CREATE))) {
        return WQ_EINVAL;
    }
    DWORD disposition;
    if (flags & WQI_FS_EXCL) {
        disposition = CREATE_NEW; /* a new file is empty: TRUNC adds nothing */
    } else if (flags & WQI_FS_CREATE) {
        disposition = (flags & WQI_FS_TRUNC) ? CREATE_ALWAYS : OPEN_ALWAYS;
    } else {
        disposition = (flags & WQI_FS_TRUNC) ? TRUNCATE_EXISTING : OPEN_EXISTING;
    }
    WCHAR *w;
    wq_err err = wide_path(path, &w);
    if (err != WQ_OK) {
        return err;
    }
    HANDLE h = create_file(w, disposition);
    DWORD code = GetLastError();
    wqi_free(w);
    if (h == INVALID_HANDLE_VALUE) {
        /* "Exists" is an error only for CREATE_NEW, so it is decided
         * here, not in os_err.c. */
        err = wq_err_from_os((long)code);
        return code == ERROR_FILE_EXISTS || code == ERROR_ALREADY_EXISTS ? WQ_EEXIST : err;
    }
    return make_file(h, out);
}

static void at_offset(OVERLAPPED *ov, uint64_t off)
{
    memset(ov, 0, sizeof *ov);
    ov->Offset = (DWORD)(off & 0xFFFFFFFFu);
    ov->OffsetHigh = (DWORD)(off >> 32);
}

static wq_err fs_read(wqi_file *f, uint64_t off, void *buf, size_t len, size_t *got)
{
    if (got != NULL) {
        *got = 0;
    }
    if (f == NULL || got == NULL || (buf == NULL && len > 0) || off > (uint64_t)INT64_MAX) {
        return WQ_EINVAL;
    }
    size_t done = 0;
    while (done < len) {
        DWORD want = len - done < IO_CHUNK ? (DWORD)(len - done) : IO_CHUNK;
        OVERLAPPED ov;
        at_offset(&ov, off + done);
        DWORD n = 0;
        if (!ReadFile(wf(f)->h, (char *)buf + done, want, &n, &ov)) {
            DWORD code = GetLastError();
            if (code == ERROR_HANDLE_EOF) {
                break; /* reading at or past the end */
            }
            *got = done;
            return wq_err_from_os((long)code);
        }
        if (n == 0) {
            break;
        }
        done += n;
    }
    *got = done;
    return WQ_OK;
}

/* Each piece is written at the end of the file: an OVERLAPPED offset of
 * 0xFFFFFFFF:0xFFFFFFFF means "the end" (WriteFile's documentation: the
 * same as a handle opened with only FILE_APPEND_DATA, which this one
 * cannot be, since truncate needs FILE_WRITE_DATA). */
static wq_err fs_append(wqi_file *f, const wqi_fs_iov *iov, size_t n)
{
    if (f == NULL || (iov == NULL && n > 0)) {
        return WQ_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (iov[i].data == NULL && iov[i].len > 0) {
            return WQ_EINVAL;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t done = 0;
        while (done < iov[i].len) {
            size_t rest = iov[i].len - done;
            DWORD want = rest < IO_CHUNK ? (DWORD)rest : IO_CHUNK;
            OVERLAPPED ov;
            memset(&ov, 0, sizeof ov);
            ov.Offset = 0xFFFFFFFFu;
            ov.OffsetHigh = 0xFFFFFFFFu;
            DWORD w = 0;
            if (!WriteFile(wf(f)->h, (const char *)iov[i].data + done, want, &w, &ov)) {
                return last_error();
            }
            if (w == 0) {
                return WQ_EIO; /* a file never takes nothing: do not spin */
            }
            done += w;
        }
    }
    return WQ_OK;
}

/* FlushFileBuffers writes the file's data and metadata and asks the
 * drive to write its cache out. */
static wq_err fs_flush(wqi_file *f)
{
    if (f == NULL) {
        return WQ_EINVAL;
    }
    if (!FlushFileBuffers(wf(f)->h)) {
        return last_error();
    }
    return WQ_OK;
}

static wq_err fs_size(wqi_file *f, uint64_t *size)
{
    if (size != NULL) {
        *size = 0;
    }
    if (f == NULL || size == NULL) {
        return WQ_EINVAL;
    }
    LARGE_INTEGER li;
    if (!GetFileSizeEx(wf(f)->h, &li)) {
        return last_error();
    }
    *size = (uint64_t)li.QuadPart;
    return WQ_OK;
}

/* SetFileInformationByHandle rather than SetEndOfFile: it does not need
 * (or move) the handle's file pointer. */
static wq_err fs_truncate(wqi_file *f, uint64_t size)
{
    uint64_t now;
    wq_err err = fs_size(f, &now);
    if (err != WQ_OK) {
        return err;
    }
    if (size > now) {
        return WQ_EINVAL; /* only ever cut: growing would invent zeros */
    }
    FILE_END_OF_FILE_INFO info;
    info.EndOfFile.QuadPart = (LONGLONG)size;
    if (!SetFileInformationByHandle(wf(f)->h, FileEndOfFileInfo, &info, sizeof info)) {
        return last_error();
    }
    return WQ_OK;
}

static void fs_close(wqi_file *f)
{
    if (f == NULL) {
        return;
    }
    CloseHandle(wf(f)->h);
    wqi_free(wf(f));
}

/* MOVEFILE_WRITE_THROUGH: the rename is on the disk when this returns
 * (fs.h: sync_dir adds nothing on Windows). */
static wq_err fs_rename(wqi_fs *fs, const char *from, const char *to)
{
    (void)fs;
    WCHAR *wfrom;
    wq_err err = wide_path(from, &wfrom);
    if (err != WQ_OK) {
        return err;
    }
    WCHAR *wto;
    err = wide_path(to, &wto);
    if (err != WQ_OK) {
        wqi_free(wfrom);
        return err;
    }
    if (!MoveFileExW(wfrom, wto, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
        err = last_error();
    }
    wqi_free(wfrom);
    wqi_free(wto);
    return err;
}

static wq_err fs_remove(wqi_fs *fs, const char *path)
{
    (void)fs;
    WCHAR *w;
    wq_err err = wide_path(path, &w);
    if (err != WQ_OK) {
        return err;
    }
    if (!DeleteFileW(w)) {
        err = last_error();
    }
    wqi_free(w);
    return err;
}

/* Only checks that dir is a directory. Windows offers no documented way
 * to flush a directory: FlushFileBuffers on a directory handle (opened
 * with FILE_FLAG_BACKUP_SEMANTICS) is undocumented, and flushing the
 * volume needs an administrator. NTFS journals its metadata (names)
 * itself; a rename is made durable by MOVEFILE_WRITE_THROUGH (fs.h), and
 * SQLite, LevelDB and RocksDB likewise do not flush directories on
 * Windows. */
static wq_err fs_sync_dir(wqi_fs *fs, const char *dir)
{
    (void)fs;
    WCHAR *w;
    wq_err err = wide_path(dir, &w);
    if (err != WQ_OK) {
        return err;
    }
    DWORD attr = GetFileAttributesW(w);
    if (attr == INVALID_FILE_ATTRIBUTES) {
        err = last_error();
    } else if (!(attr & FILE_ATTRIBUTE_DIRECTORY)) {
        err = WQ_ENOENT; /* as POSIX's ENOTDIR */
    }
    wqi_free(w);
    return err;
}

/* A name Windows holds that is not valid UTF-16 (an unpaired surrogate)
 * is listed with U+FFFD in its place: every entry is listed, and a name
 * the caller did not write is one it does not recognise either way. */
static wq_err fs_list(wqi_fs *fs, const char *dir, wq_err (*fn)(void *ctx, const char *name),
                      void *ctx)
{
    (void)fs;
    if (fn == NULL) {
        return WQ_EINVAL;
    }
    WCHAR *w;
    wq_err err = wide_path(dir, &w);
    if (err != WQ_OK) {
        return err;
    }
    size_t n = wcslen(w);
    WCHAR *pattern = wqi_malloc((n + 3) * sizeof *pattern);
    if (pattern == NULL) {
        wqi_free(w);
        return WQ_ENOMEM;
    }
    memcpy(pattern, w, n * sizeof *w);
    if (n > 0 && pattern[n - 1] != L'\\') {
        pattern[n++] = L'\\';
    }
    pattern[n++] = L'*';
    pattern[n] = L'\0';
    wqi_free(w);
    WIN32_FIND_DATAW fd;
    HANDLE h = FindFirstFileW(pattern, &fd);
    DWORD code = GetLastError();
    wqi_free(pattern);
    if (h == INVALID_HANDLE_VALUE) {
        /* No entry at all (not even "."): an empty root directory. */
        return code == ERROR_FILE_NOT_FOUND ? WQ_OK : wq_err_from_os((long)code);
    }
    do {
        if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0) {
            continue;
        }
        /* MAX_PATH UTF-16 units: at most 3 bytes of UTF-8 each. */
        char name[MAX_PATH * 3 + 1];
        int m =
            WideCharToMultiByte(CP_UTF8, 0, fd.cFileName, -1, name, (int)sizeof name, NULL, NULL);
        if (m <= 0) {
            err = last_error();
            break;
        }
        err = fn(ctx, name);
        if (err != WQ_OK) {
            break;
        }
    } while (FindNextFileW(h, &fd));
    if (err == WQ_OK) {
        code = GetLastError();
        if (code != ERROR_NO_MORE_FILES) {
            err = wq_err_from_os((long)code);
        }
    }
    FindClose(h);
    return err;
}

static void lock_range(OVERLAPPED *ov)
{
    memset(ov, 0, sizeof *ov);
    ov->OffsetHigh = LOCK_OFFSET_HIGH;
}

/* LockFileEx locks belong to the handle: a second open of the lock file,
 * in this process or another, cannot take it. The file stays when
 * unlocked (see platform/posix/fs.c). */
static wq_err fs_lock(wqi_fs *fs, const char *path, wqi_file **out)
{
    (void)fs;
    if (out != NULL) {
        *out = NULL;
    }
    if (out == NULL) {
        return WQ_EINVAL;
    }
    WCHAR *w;
    wq_err err = wide_path(path, &w);
    if (err != WQ_OK) {
        return err;
    }
    HANDLE h = create_file(w, OPEN_ALWAYS);
    DWORD code = GetLastError();
    wqi_free(w);
    if (h == INVALID_HANDLE_VALUE) {
        /* A program that opened the file without sharing holds it too. */
        err = wq_err_from_os((long)code);
        return code == ERROR_SHARING_VIOLATION ? WQ_EBUSY : err;
    }
    OVERLAPPED ov;
    lock_range(&ov);
    if (!LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov)) {
        code = GetLastError();
        err = wq_err_from_os((long)code);
        CloseHandle(h);
        return code == ERROR_LOCK_VIOLATION ? WQ_EBUSY : err;
    }
    return make_file(h, out);
}

/* Unlocked explicitly before closing: Windows releases the locks of a
 * closed handle only "when resources permit", and a workqd started right
 * after could still find the lock taken. */
static void fs_unlock(wqi_file *lock)
{
    if (lock == NULL) {
        return;
    }
    OVERLAPPED ov;
    lock_range(&ov);
    UnlockFileEx(wf(lock)->h, 0, 1, 0, &ov);
    fs_close(lock);
}

static const wqi_fs_ops native_ops = {
    .open = fs_open,
    .read = fs_read,
    .append = fs_append,
    .flush = fs_flush,
    .size = fs_size,
    .truncate = fs_truncate,
    .close = fs_close,
    .rename = fs_rename,
    .remove = fs_remove,
    .sync_dir = fs_sync_dir,
    .list = fs_list,
    .lock = fs_lock,
    .unlock = fs_unlock,
};

static wqi_fs native_fs = {&native_ops};

wqi_fs *wqi_fs_native(void)
{
    return &native_fs;
}
