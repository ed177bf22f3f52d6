using System.Diagnostics;
using Sysprint.Core.Tests.Support;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.TestSupport;

namespace Sysprint.Core.Tests.Engine;

public sealed class LogFinderTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Directory_is_searched_recursively_in_ordinal_name_order()
    {
        string root = Dir("logs");
        Write("logs/b.strace");
        Write("logs/a.strace");
        Write("logs/A.strace");
        Write("logs/c/z.strace");
        Write("logs/c/d/y.strace");
        Write("logs/ca.strace");

        var files = LogFinder.Expand([root]);

        Assert.Equal(
            ["A.strace", "a.strace", "b.strace", "c/d/y.strace", "c/z.strace", "ca.strace"],
            files.Select(f => Path.GetRelativePath(root, f)));
    }

    [Fact]
    public void Files_named_directly_are_kept_as_given_and_in_order()
    {
        string second = Write("second.strace");
        string first = Write("dir/first.strace");
        string empty = Write("empty.strace", "");

        var files = LogFinder.Expand([second, _temp.PathOf("dir"), empty]);

        Assert.Equal([second, first, empty], files);
    }

    [Fact]
    public void The_multi_ff_directory_expands_to_its_three_trace_files()
    {
        string directory = Path.Combine(TestFiles.Strace, "multi_ff");

        var files = LogFinder.Expand([directory]);

        Assert.Equal(TestFiles.MultiFfTraces().Select(t => t.Path).Order(StringComparer.Ordinal), files);
    }

    [Fact]
    public void Symbolic_link_to_a_directory_is_not_followed_and_noted()
    {
        string root = Dir("logs");
        Write("logs/a.strace");
        Write("elsewhere/b.strace");
        string link = Path.Combine(root, "link");
        Directory.CreateSymbolicLink(link, _temp.PathOf("elsewhere"));
        var notes = new List<string>();

        var files = LogFinder.Expand([root], notes);

        Assert.Equal([Path.Combine(root, "a.strace")], files);
        Assert.Equal([$"{link}: symbolic link to a directory, not followed"], notes);
    }

    [Fact]
    public void Symbolic_link_to_its_own_directory_cannot_trap_the_search()
    {
        string root = Dir("logs");
        Write("logs/a.strace");
        Directory.CreateSymbolicLink(Path.Combine(root, "self"), root);
        var notes = new List<string>();

        var files = LogFinder.Expand([root], notes);

        Assert.Equal([Path.Combine(root, "a.strace")], files);
        Assert.Single(notes);
    }

    [Fact]
    public void Symbolic_link_to_a_file_is_followed()
    {
        string root = Dir("logs");
        string target = Write("elsewhere/b.strace");
        string link = Path.Combine(root, "b.strace");
        File.CreateSymbolicLink(link, target);

        var files = LogFinder.Expand([root]);

        Assert.Equal([link], files);
    }

    [Fact]
    public void Symbolic_link_loop_is_skipped_with_a_note()
    {
        string root = Dir("logs");
        Write("logs/a.strace");
        string one = Path.Combine(root, "loop1");
        string two = Path.Combine(root, "loop2");
        File.CreateSymbolicLink(one, two);
        File.CreateSymbolicLink(two, one);
        var notes = new List<string>();

        var files = LogFinder.Expand([root], notes);

        Assert.Equal([Path.Combine(root, "a.strace")], files);
        Assert.Equal(2, notes.Count);
        Assert.StartsWith($"{one}: skipped: ", notes[0], StringComparison.Ordinal);
        Assert.StartsWith($"{two}: skipped: ", notes[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Dangling_symbolic_link_is_skipped_with_a_note()
    {
        string root = Dir("logs");
        Write("logs/a.strace");
        string link = Path.Combine(root, "gone.strace");
        File.CreateSymbolicLink(link, _temp.PathOf("missing.strace"));
        var notes = new List<string>();

        var files = LogFinder.Expand([root], notes);

        Assert.Equal([Path.Combine(root, "a.strace")], files);
        Assert.Equal([$"{link}: skipped: link target missing or a directory"], notes);
    }

    // File.Exists is true for a dangling or looping link on Unix (.NET falls back to lstat): Expand resolves it.
    [Fact]
    public void Looping_link_named_directly_is_reported_missing()
    {
        string one = _temp.PathOf("loop1");
        string two = _temp.PathOf("loop2");
        File.CreateSymbolicLink(one, two);
        File.CreateSymbolicLink(two, one);

        var ex = Assert.Throws<SysprintException>(() => LogFinder.Expand([one]));

        Assert.Equal($"{one}: looping symbolic link (too many levels of links)", ex.Message);
        Assert.Equal(ErrorKind.InputMissing, ex.Kind);
    }

    [Fact]
    public void Dangling_link_named_directly_is_reported_missing()
    {
        string link = _temp.PathOf("gone.strace");
        File.CreateSymbolicLink(link, _temp.PathOf("missing.strace"));

        var ex = Assert.Throws<SysprintException>(() => LogFinder.Expand([link]));

        Assert.Equal($"{link}: broken symbolic link (its target does not exist)", ex.Message);
    }

    [Fact]
    public async Task Fifo_is_skipped_without_being_opened()
    {
        string root = Dir("logs");
        Write("logs/a.strace");
        string fifo = Path.Combine(root, "pipe");
        MakeFifo(fifo);
        var notes = new List<string>();

        // A FIFO opened for reading blocks until a writer comes: a hang here is the failure.
        var files = await Task.Run(() => LogFinder.Expand([root], notes), TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal([Path.Combine(root, "a.strace")], files);
        Assert.Equal([$"{fifo}: skipped: empty or not a regular file (FIFO, socket, device)"], notes);
    }

    [Fact]
    public void Empty_file_in_a_directory_is_skipped_with_a_note()
    {
        string root = Dir("logs");
        Write("logs/a.strace");
        string empty = Write("logs/empty.strace", "");
        var notes = new List<string>();

        var files = LogFinder.Expand([root], notes);

        Assert.Equal([Path.Combine(root, "a.strace")], files);
        Assert.Equal([$"{empty}: skipped: empty or not a regular file (FIFO, socket, device)"], notes);
    }

    [Fact]
    public void Empty_directory_is_missing_input()
    {
        string root = Dir("logs");
        Dir("logs/sub");

        var ex = Assert.Throws<SysprintException>(() => LogFinder.Expand([root]));

        Assert.Equal($"{root}: no log files in this directory", ex.Message);
        Assert.Equal(ErrorKind.InputMissing, ex.Kind);
    }

    [Fact]
    public void Missing_path_is_missing_input()
    {
        string path = _temp.PathOf("nope");

        var ex = Assert.Throws<SysprintException>(() => LogFinder.Expand([path]));

        Assert.Equal($"{path}: no such file or directory", ex.Message);
        Assert.Equal(ErrorKind.InputMissing, ex.Kind);
    }

    private string Dir(string relative) => Directory.CreateDirectory(_temp.PathOf(relative)).FullName;

    private string Write(string relative, string text = "close(1) = 0\n")
    {
        string path = _temp.PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("mkfifo did not start");
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
