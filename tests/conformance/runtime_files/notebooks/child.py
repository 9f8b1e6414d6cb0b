# Databricks notebook source
dbutils.widgets.text("name", "unset")
child_names = globals().get("child_names", []) + [dbutils.widgets.get("name")]
