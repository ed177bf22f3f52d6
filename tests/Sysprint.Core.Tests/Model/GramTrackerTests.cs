using Sysprint.Model;

namespace Sysprint.Core.Tests.Model;

public sealed class GramTrackerTests
{
    [Fact]
    public void Grams_grow_to_the_window_then_slide()
    {
        var tracker = new RecordingTracker(3);

        Feed(tracker, (1, 10), (1, 20), (1, 30), (1, 40));

        Assert.Equal(["1: 10", "1: 10 20", "1: 10 20 30", "1: 20 30 40"], tracker.Grams);
    }

    [Fact]
    public void Interleaved_threads_keep_their_own_windows()
    {
        var tracker = new RecordingTracker(3);

        Feed(tracker, (7, 1), (8, 10), (7, 2), (8, 20), (7, 3), (7, 4), (8, 30));

        Assert.Equal(["7: 1", "8: 10", "7: 1 2", "8: 10 20", "7: 1 2 3", "7: 2 3 4", "8: 10 20 30"], tracker.Grams);
        Assert.Equal(2, tracker.Threads);
        Assert.Equal(7, tracker.Syscalls);
    }

    [Fact]
    public void Thread_end_restarts_that_thread_only()
    {
        var tracker = new RecordingTracker(2);

        Feed(tracker, (7, 1), (8, 10), (7, 2));
        tracker.OnThreadEnd(7);
        Feed(tracker, (8, 20), (7, 3), (7, 4));

        Assert.Equal(["7: 1", "8: 10", "7: 1 2", "8: 10 20", "7: 3", "7: 3 4"], tracker.Grams);
        Assert.Equal(3, tracker.Threads);
    }

    [Fact]
    public void Thread_end_of_another_thread_than_the_last_one_restarts_it()
    {
        var tracker = new RecordingTracker(2);

        Feed(tracker, (7, 1), (8, 10));
        tracker.OnThreadEnd(7);
        Feed(tracker, (7, 2));

        Assert.Equal(["7: 1", "8: 10", "7: 2"], tracker.Grams);
    }

    [Fact]
    public void A_reused_window_starts_empty()
    {
        var tracker = new RecordingTracker(3);

        Feed(tracker, (7, 1), (7, 2), (7, 3));
        tracker.OnThreadEnd(7);
        Feed(tracker, (9, 50), (9, 51));

        Assert.Equal(["9: 50", "9: 50 51"], tracker.Grams[^2..]);
    }

    [Fact]
    public void Ending_an_unknown_thread_does_nothing()
    {
        var tracker = new RecordingTracker(2);
        Feed(tracker, (7, 1));

        tracker.OnThreadEnd(99);
        Feed(tracker, (7, 2));

        Assert.Equal(["7: 1", "7: 1 2"], tracker.Grams);
    }

    [Fact]
    public void Renamed_thread_continues_its_window_under_the_new_id()
    {
        var tracker = new RecordingTracker(3);

        Feed(tracker, (0, 1), (0, 2));
        tracker.OnThreadRenamed(0, 4273);
        Feed(tracker, (4273, 3), (0, 9));

        Assert.Equal(["0: 1", "0: 1 2", "4273: 1 2 3", "0: 9"], tracker.Grams);
    }

    [Fact]
    public void All_threads_end_between_logs()
    {
        var tracker = new RecordingTracker(2);
        Feed(tracker, (7, 1), (8, 2));

        tracker.EndAllThreads();
        Feed(tracker, (7, 3), (8, 4));

        Assert.Equal(["7: 3", "8: 4"], tracker.Grams[^2..]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    public void Window_outside_2_to_16_is_refused(int window)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecordingTracker(window));
    }

    private static void Feed(GramTracker tracker, params (long Thread, int Number)[] calls)
    {
        foreach (var (thread, number) in calls)
        {
            tracker.OnSyscall(thread, number, 0);
        }
    }

    private sealed class RecordingTracker(int window) : GramTracker(window)
    {
        public List<string> Grams { get; } = [];

        protected override void OnGram(ReadOnlySpan<int> gram, long thread, long line) =>
            Grams.Add($"{thread}: {Fingerprint.FormatGram(gram)}");
    }
}
