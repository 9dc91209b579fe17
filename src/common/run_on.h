// run_on.h: run blocking work on another executor (the store's thread) and
// resume the calling coroutine on its own executor with the result.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <functional>

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

}  // namespace common
