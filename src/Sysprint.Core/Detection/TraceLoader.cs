using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Sysprint.Mapping;
using Sysprint.Parsing;

namespace Sysprint.Detection;

/// <summary>Reads a log into a <see cref="LoadedTrace"/>: one call sequence per thread, in order.</summary>
public static class TraceLoader
{
    public static LoadedTrace Load(string path, string? kind, SyscallTable table, LogReadOptions options)
    {
        var sink = new Collector();
        byte[]? content = ReadSmall(path, out int length);
        if (content is null)
        {
            LogReader.Read(path, table, options, sink);
        }
        else
        {
            try
            {
                using var stream = new MemoryStream(content, 0, length, writable: false);
                LogReader.Read(stream, path, table, options, sink);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(content);
            }
        }

        return new LoadedTrace(path, kind, sink.Finish());
    }

    /// <summary>Largest log read whole in one call.</summary>
    private const int SmallLog = 1 << 20;

    /// <summary>
    /// A small plain log's bytes, read in one call (an evaluation reads thousands of tiny logs, and
    /// each system call counts); null for a large or compressed log, or one that cannot be read here,
    /// which <see cref="LogReader"/> then opens and reports on as usual.
    /// </summary>
    private static byte[]? ReadSmall(string path, out int length)
    {
        length = 0;
        try
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long size = RandomAccess.GetLength(handle);
            if (size is 0 or > SmallLog)
            {
                return null;
            }

            byte[] content = ArrayPool<byte>.Shared.Rent((int)size);
            int read;
            while (length < size && (read = RandomAccess.Read(handle, content.AsSpan(length, (int)size - length), length)) > 0)
            {
                length += read;
            }

            if (length >= 2 && content[0] == 0x1F && content[1] == 0x8B)
            {
                ArrayPool<byte>.Shared.Return(content);
                return null;
            }

            return content;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private sealed class Collector : ISyscallSink
    {
        private readonly Dictionary<long, List<int>> _open = [];
        private readonly List<int[]> _done = [];

        // Number logs name one thread (ADFA-LD) or a few that take turns: spare the lookup per call.
        private long _lastThread = long.MinValue;
        private List<int>? _last;

        public void OnSyscall(long thread, int number, long line)
        {
            if (thread != _lastThread || _last is null)
            {
                if (!_open.TryGetValue(thread, out _last))
                {
                    _last = [];
                    _open[thread] = _last;
                }

                _lastThread = thread;
            }

            _last.Add(number);
        }

        public void OnThreadEnd(long thread)
        {
            _last = null;
            if (_open.Remove(thread, out List<int>? calls))
            {
                _done.Add([.. calls]);
            }
        }

        public void OnThreadRenamed(long oldThread, long newThread)
        {
            _last = null;
            if (_open.Remove(oldThread, out List<int>? calls) && !_open.ContainsKey(newThread))
            {
                _open[newThread] = calls;
            }
        }

        public int[][] Finish()
        {
            foreach (List<int> calls in _open.Values)
            {
                _done.Add([.. calls]);
            }

            _open.Clear();
            return [.. _done];
        }
    }
}
