package io.stratus.cell.persistence.sqlite;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A queue of many producers' items, FIFO within a lane and round-robin across lanes: {@link
 * #drainTo} takes one item from each non-empty lane in turn, and the next drain starts with the
 * lane after the last one served. With one lane it is a plain FIFO queue.
 *
 * <p>Used by the SQLite writer so that one namespace's backlog of writes delays another
 * namespace's write by at most one group commit, where a single FIFO queue would put it behind the
 * whole backlog. Adding and draining cost O(1) per item under one short lock.
 */
final class FairQueue<T> {
  static final String SHARED_LANE = "";

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition nonEmpty = lock.newCondition();
  private final Map<String, ArrayDeque<T>> lanes = new HashMap<>();
  /** Lanes with items, in serving order; a lane appears here at most once. */
  private final ArrayDeque<String> ring = new ArrayDeque<>();
  private int size;

  void add(String lane, T item) {
    lock.lock();
    try {
      ArrayDeque<T> q = lanes.computeIfAbsent(lane, k -> new ArrayDeque<>());
      if (q.isEmpty()) {
        ring.addLast(lane);
      }
      q.addLast(item);
      size++;
      nonEmpty.signal();
    } finally {
      lock.unlock();
    }
  }

  boolean isEmpty() {
    lock.lock();
    try {
      return size == 0;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Moves up to {@code max} items into {@code to}, round-robin across lanes, waiting up to the
   * timeout for the first. Returns how many were moved.
   */
  int drainTo(List<T> to, int max, long timeout, TimeUnit unit) throws InterruptedException {
    lock.lock();
    try {
      long nanos = unit.toNanos(timeout);
      while (size == 0) {
        if (nanos <= 0) {
          return 0;
        }
        nanos = nonEmpty.awaitNanos(nanos);
      }
      int moved = 0;
      while (moved < max && !ring.isEmpty()) {
        String lane = ring.pollFirst();
        ArrayDeque<T> q = lanes.get(lane);
        to.add(q.pollFirst());
        moved++;
        if (q.isEmpty()) {
          lanes.remove(lane); // lanes come and go with namespaces; keep the map small
        } else {
          ring.addLast(lane);
        }
      }
      size -= moved;
      return moved;
    } finally {
      lock.unlock();
    }
  }
}
