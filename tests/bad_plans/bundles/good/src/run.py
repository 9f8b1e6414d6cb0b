# Databricks notebook source
print("run")
