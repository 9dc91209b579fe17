// run_on.h: run blocking work on another executor (the store's thread) and
// resume the calling coroutine on its own executor with the result.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace common {

/// Runs `fn` on `ex`; the caller resumes on its own executor with the result,
/// or the exception `fn` threw. A plain initiation, not a coroutine lambda:
/// GCC 12 double-destroys captures of coroutine lambdas spawned inside a
/// co_await expression.
template <class R>
boost::asio::awaitable<R> run_on(boost::asio::any_io_executor ex, std::function<R()> fn) {
  namespace asio = boost::asio;
  auto init = [ex, fn = std::move(fn)](auto handler) mutable {
    asio::post(ex, [fn = std::move(fn), handler = std::move(handler)]() mutable {
      std::exception_ptr ep;
      R result{};
      try {
        result = fn();
      } catch (...) {
        ep = std::current_exception();
      }
      auto hex = asio::get_associated_executor(handler);
      asio::dispatch(hex, [h = std::move(handler), ep, result = std::move(result)]() mutable {
        std::move(h)(ep, std::move(result));
      });
    });
  };
  R r = co_await asio::async_initiate<const asio::use_awaitable_t<>, void(std::exception_ptr, R)>(
      std::move(init), asio::use_awaitable);
  co_return r;
}

/// Runs `fn` through `submit` and resumes the caller with its result, or
/// with nullopt after `limit` while `fn` keeps running to its end, its result
/// dropped. `submit(work, finish)` must call work() (which runs `fn`) and
/// then finish(ep): ep null to publish the result, or an exception that
/// replaces it (the group commit failed after `fn` succeeded).
template <class R, class Submit>
boost::asio::awaitable<std::optional<R>> run_deferred(Submit submit, std::function<R()> fn,
                                                      std::chrono::steady_clock::duration limit) {
  namespace asio = boost::asio;
  using Signature = void(std::exception_ptr, std::optional<R>);
  auto init = [submit = std::move(submit), fn = std::move(fn), limit](auto handler) mutable {
    using Handler = decltype(handler);
    struct State {
      std::mutex mu;
      std::optional<Handler> handler;
      std::optional<asio::steady_timer> timer;
      std::exception_ptr ep;
      std::optional<R> result;
    };
    auto st = std::make_shared<State>();
    auto hex = asio::get_associated_executor(handler);
    st->handler.emplace(std::move(handler));
    // The first of the work and the timer completes the caller, once.
    auto complete = [st, hex](std::exception_ptr ep, std::optional<R> r) {
      std::optional<Handler> h;
      {
        std::lock_guard lk(st->mu);
        if (!st->handler) return;
        h.emplace(std::move(*st->handler));
        st->handler.reset();
      }
      // The timer lives on the caller's executor: cancelled there, in the
      // same turn as the resumption (one wake of the caller's thread, not two).
      asio::dispatch(hex, [st, h = std::move(*h), ep, r = std::move(r)]() mutable {
        st->timer->cancel();
        std::move(h)(ep, std::move(r));
      });
    };
    st->timer.emplace(hex, limit);
    st->timer->async_wait([complete](const boost::system::error_code& ec) {
      if (!ec) complete(nullptr, std::nullopt);
    });
    std::function<void()> work = [fn = std::move(fn), st]() mutable {
      try {
        st->result = fn();
      } catch (...) {
        st->ep = std::current_exception();
      }
    };
    std::function<void(std::exception_ptr)> finish = [complete, st](std::exception_ptr ep) {
      if (ep)
        complete(ep, std::nullopt);
      else
        complete(st->ep, std::move(st->result));
    };
    submit(std::move(work), std::move(finish));
  };
  std::optional<R> r = co_await asio::async_initiate<const asio::use_awaitable_t<>, Signature>(
      std::move(init), asio::use_awaitable);
  co_return r;
}

/// Like run_on, but the caller gives up after `limit`: it resumes with
/// nullopt while `fn` keeps running to its end, its result dropped. For a
/// store that hangs without an error (a paused database server): the client
/// hears 451 in bounded time, and a commit that still happens later is
/// found by the MTA's retry as a duplicate.
template <class R>
boost::asio::awaitable<std::optional<R>> run_on_for(boost::asio::any_io_executor ex,
                                                    std::function<R()> fn,
                                                    std::chrono::steady_clock::duration limit) {
  auto submit = [ex](std::function<void()> work, std::function<void(std::exception_ptr)> finish) {
    boost::asio::post(ex, [work = std::move(work), finish = std::move(finish)] {
      work();
      finish(nullptr);
    });
  };
  return run_deferred<R>(std::move(submit), std::move(fn), limit);
}

}  // namespace common
