package com.nrsgirls.streaming.core.stream;

/** Who a stream belongs to on the platform. */
public enum CreatorType {
  DJ,
  PERFORMER
}
