package com.databricks.sql.streaming.state;

/**
 * The class name Databricks notebooks set as {@code spark.sql.streaming.stateStore.providerClass}
 * (see "Configure RocksDB state store on Databricks" in the Databricks docs). On Databricks it
 * is the runtime's own RocksDB provider; here it is Apache Spark's.
 */
public class RocksDBStateStoreProvider
    extends org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider {}
